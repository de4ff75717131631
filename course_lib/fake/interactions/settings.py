"""The settings of an Interactions request, checked, and put in generateContent's words for the
engine: ``generation_config.max_output_tokens`` becomes ``maxOutputTokens``, ``thinking_level``
becomes ``thinkingConfig.thinking_level`` (the SDK's own generateContent spelling),
``response_format`` becomes ``responseMimeType`` and ``responseJsonSchema``, ``tool_choice``
becomes ``toolConfig``, and each function tool one ``functionDeclarations`` entry.

>>> turn = Turn("m")
>>> read_settings({"generation_config": {"thinking_level": "low", "max_output_tokens": 9}}, turn)
>>> turn.generation
{'maxOutputTokens': 9, 'thinkingConfig': {'thinking_level': 'LOW'}}
"""

from __future__ import annotations

from typing import Any

from course_lib.fake.interactions.turn import Turn
from course_lib.fake.interactions.values import (
    Refused,
    a_bool,
    a_list,
    a_number,
    a_string,
    a_whole,
    an_object,
    one_of,
)

THINKING_LEVELS = ("minimal", "low", "medium", "high", "xhigh")
#: The Gemini API's tiers (the SDK also lists "deferred", a tier of Vertex AI's global endpoint).
SERVICE_TIERS = ("flex", "standard", "priority")
_GENERATION = frozenset(
    "image_config max_output_tokens seed speech_config stop_sequences temperature thinking_level "
    "thinking_summaries tool_choice top_p transcription_config video_config".split()
)
_TOOL_CHOICES = ("auto", "any", "none", "validated")
_MODALITIES = ("text", "image", "audio", "video", "document")
_TEXT_ONLY = "The offline fake Gemini answers in text only"


def read_settings(request: dict[str, Any], turn: Turn) -> None:
    """Check every setting of ``request`` and record what the engine needs in ``turn``."""
    if request.get("system_instruction") is not None:
        turn.system = a_string(request["system_instruction"], "system_instruction")
    if request.get("previous_interaction_id") is not None:
        turn.previous = a_string(request["previous_interaction_id"], "previous_interaction_id")
    for flag in ("stream", "background", "store"):
        if request.get(flag) is not None:
            setattr(turn, flag, a_bool(request[flag], flag))
    if turn.background and not turn.store:
        raise Refused("'background' needs 'store': a background interaction is read by its id.")
    if request.get("service_tier") is not None:
        turn.service_tier = one_of(request["service_tier"], SERVICE_TIERS, "service_tier")
    if request.get("tools") is not None:
        turn.declarations = _declarations(request["tools"])
    if request.get("generation_config") is not None:
        _generation(an_object(request["generation_config"], "generation_config"), turn)
    if request.get("response_mime_type") is not None:  # deprecated: response_format replaces it
        mime = ("application/json", "text/plain")
        turn.generation["responseMimeType"] = one_of(
            request["response_mime_type"], mime, "response_mime_type"
        )
    if request.get("response_format") is not None:
        _response_format(request["response_format"], turn)
    for i, modality in enumerate(a_list(request.get("response_modalities"), "response_modalities")):
        if one_of(modality, _MODALITIES, f"response_modalities[{i}]") != "text":
            raise Refused(f"{_TEXT_ONLY}: 'response_modalities[{i}]' asks for {modality}.")
    for i, setting in enumerate(a_list(request.get("safety_settings"), "safety_settings")):
        an_object(setting, f"safety_settings[{i}]")  # accepted; the fake's answers are all safe
    for name, value in an_object(request.get("labels") or {}, "labels").items():
        a_string(value, f"labels.{name}")


def _declarations(value: Any) -> list[dict[str, Any]]:
    """Each function tool as one generateContent ``functionDeclarations`` entry, so that a 400
    the engine's reader gives about ``tools[i].function_declarations[0]`` is about ``tools[i]``."""
    declarations, names = [], set()
    for i, raw in enumerate(a_list(value, "tools")):
        where = f"tools[{i}]"
        tool = an_object(raw, where)
        kind = a_string(tool.get("type"), f"{where}.type")
        if kind != "function":
            raise Refused(
                f"The offline fake Gemini runs no built-in tools: the value '{kind}' is not "
                f"supported for 'type' at '{where}'. Declare functions (type 'function')."
            )
        name = a_string(tool.get("name"), f"{where}.name")
        if name in names:
            raise Refused(f"Duplicate function name '{name}' at '{where}.name'.")
        names.add(name)
        declaration: dict[str, Any] = {"name": name}
        if tool.get("description") is not None:
            declaration["description"] = a_string(tool["description"], f"{where}.description")
        if tool.get("parameters") is not None:  # JSON Schema, as generateContent's own key says
            declaration["parametersJsonSchema"] = an_object(
                tool["parameters"], f"{where}.parameters"
            )
        declarations.append({"functionDeclarations": [declaration]})
    return declarations


def _generation(config: dict[str, Any], turn: Turn) -> None:
    at = "generation_config"
    for name in config:
        if name not in _GENERATION:
            raise Refused(f"Unknown parameter '{at}.{name}'.", "parameter_unknown")
    out = turn.generation
    if config.get("temperature") is not None:
        out["temperature"] = a_number(config["temperature"], f"{at}.temperature", 0, 2)
    if config.get("top_p") is not None:
        out["topP"] = a_number(config["top_p"], f"{at}.top_p", 0, 1)
    if config.get("max_output_tokens") is not None:
        out["maxOutputTokens"] = a_whole(config["max_output_tokens"], f"{at}.max_output_tokens", 1)
    if config.get("seed") is not None:
        out["seed"] = a_whole(config["seed"], f"{at}.seed", -(2**31))
    if config.get("stop_sequences") is not None:
        stops = a_list(config["stop_sequences"], f"{at}.stop_sequences")
        if len(stops) > 5:
            raise Refused(f"Invalid value at '{at}.stop_sequences': at most 5, got {len(stops)}.")
        out["stopSequences"] = [
            a_string(s, f"{at}.stop_sequences[{i}]") for i, s in enumerate(stops)
        ]
    thinking: dict[str, Any] = {}
    if config.get("thinking_level") is not None:  # HOOK: thinking (see fake.interactions)
        level = one_of(config["thinking_level"], THINKING_LEVELS, f"{at}.thinking_level")
        thinking["thinking_level"] = level.upper()
    if config.get("thinking_summaries") is not None:
        summaries = one_of(
            config["thinking_summaries"], ("auto", "none"), f"{at}.thinking_summaries"
        )
        thinking["include_thoughts"] = summaries == "auto"
    if thinking:
        out["thinkingConfig"] = thinking
    for name in ("image_config", "speech_config", "transcription_config", "video_config"):
        if config.get(name) is not None:
            an_object(config[name], f"{at}.{name}")  # accepted; the fake answers in text
    if config.get("tool_choice") is not None:
        turn.tool_config = _tool_choice(config["tool_choice"], turn.declarations)


def _tool_choice(value: Any, declarations: list[dict[str, Any]] | None) -> dict[str, Any]:
    """``tool_choice`` as generateContent's ``toolConfig.functionCallingConfig``."""
    at = "generation_config.tool_choice"
    if isinstance(value, str):
        return {"functionCallingConfig": {"mode": one_of(value, _TOOL_CHOICES, at).upper()}}
    allowed = an_object(an_object(value, at).get("allowed_tools"), f"{at}.allowed_tools")
    config: dict[str, Any] = {}
    if allowed.get("mode") is not None:
        config["mode"] = one_of(allowed["mode"], _TOOL_CHOICES, f"{at}.allowed_tools.mode").upper()
    declared = (
        None
        if declarations is None
        else {d["functionDeclarations"][0]["name"] for d in declarations}
    )
    names = []
    for i, name in enumerate(a_list(allowed.get("tools"), f"{at}.allowed_tools.tools")):
        where = f"{at}.allowed_tools.tools[{i}]"
        if declared is not None and a_string(name, where) not in declared:
            raise Refused(f"Invalid value at '{where}': '{name}' is not a declared function.")
        names.append(a_string(name, where))
    if names:
        config["allowedFunctionNames"] = names
    return {"functionCallingConfig": config}


def _response_format(value: Any, turn: Turn) -> None:
    """``response_format`` (one, or a list) as ``responseMimeType`` and ``responseJsonSchema``."""
    formats = value if isinstance(value, list) else [value]
    for i, raw in enumerate(formats):
        where = f"response_format[{i}]" if isinstance(value, list) else "response_format"
        spec = an_object(raw, where)
        for name in spec:
            if name not in ("type", "mime_type", "schema"):
                raise Refused(f"Unknown parameter '{where}.{name}'.", "parameter_unknown")
        if spec.get("type", "text") != "text":
            raise Refused(f"{_TEXT_ONLY}: '{where}.type' asks for {spec['type']}.")
        schema = spec.get("schema")
        mime = spec.get("mime_type", "application/json" if schema is not None else "text/plain")
        mime = one_of(mime, ("application/json", "text/plain"), f"{where}.mime_type")
        turn.generation["responseMimeType"] = mime
        if schema is not None:  # HOOK: structured output (see fake.interactions)
            if mime != "application/json":
                raise Refused(f"'{where}.schema' needs mime_type 'application/json', not {mime}.")
            turn.generation["responseJsonSchema"] = an_object(schema, f"{where}.schema")
