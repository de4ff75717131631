"""One module per scenario: each is a coroutine that runs a batch of prompts its own way."""
