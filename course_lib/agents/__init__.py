"""Lesson 06, agents and workflows: a ReAct agent with manual function calling, and the offline
search tool it calls."""
