"""Drive My Car ending bot: curated answers, interpretation polls, moderator curation."""

__version__ = "0.1.0"
