"""The Interactions API in the fake (``client.interactions.create`` and its async twin).

``POST /{v1,v1beta}/interactions`` (JSON, or server-sent events with ``stream``), ``GET``,
``DELETE`` and ``POST .../cancel`` on ``/interactions/{id}``. One engine answers both APIs: an
interaction is read (``read``, ``settings``), put in generateContent's words (``conversation``),
answered by ``FakeGemini.answer`` (the engine behind ``generateContent``: the same keys, models,
quotas, failures, text, function calls, tokens and latency), then said in the Interactions
API's words (``render``, ``events``) and kept by id (``store``); ``endpoint`` ties them together.

Where a generateContent feature reaches Interactions (each marked ``HOOK`` in the code):

- thinking: ``generation_config.thinking_level`` and ``thinking_summaries`` are sent to the engine
  as ``generationConfig.thinkingConfig`` (``thinking_level``, ``include_thoughts``: the SDK's own
  spelling, ``settings._generation``); the engine's ``thoughtsTokenCount`` becomes
  ``total_thought_tokens`` and its ``"thought": true`` parts a ``thought`` step's summary
  (``render``). The engine only has to answer generateContent's way.
- structured output: ``response_format`` is sent as ``responseMimeType`` and
  ``responseJsonSchema`` (``settings._response_format``); the engine's JSON text is the answer.
- tool modes: ``tool_choice`` is sent as ``toolConfig.functionCallingConfig``, service tiers as
  ``serviceTier`` (``conversation.engine_request``), read by generateContent's reader.

It imports nothing of ``fake.gemini``: the engine is passed in (``endpoint.Engine``).
"""

from course_lib.fake.interactions.endpoint import FakeInteractions

__all__ = ["FakeInteractions"]
