"""The client side of the course: ``gemini_client()`` (a real ``google.genai.Client``, wired to the
fake offline or to the real API on a budget), the session that holds the fake and the budget
(``setup``, ``offline``, ``use_fake``, ``live_status``), and live mode's key and budget."""
