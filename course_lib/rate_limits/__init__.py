"""Lesson 05, rate limits and failures: a client-side rate limiter, retries that wait what a 429
asks, the 429's details, a retry budget and adaptive concurrency (AIMD)."""
