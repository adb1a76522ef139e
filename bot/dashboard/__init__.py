"""The moderators' dashboard: the bot's database in the browser, read-only, with Datasette.

``queries`` says what is shown (canned queries, visible tables); ``plugin`` enforces what is
hidden and draws charts; ``server`` builds and serves it. Datasette is the optional
``[dashboard]`` extra: nothing else in the bot imports this package.
"""
