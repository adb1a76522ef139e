"""The Discord adapter: the only package that imports discord.py.

Cogs, views, modals and embeds translate between Discord and the domain core;
they hold no rules of their own.
"""
