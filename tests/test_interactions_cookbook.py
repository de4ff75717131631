"""Code shaped like google-gemini/cookbook's Interactions quickstarts (Asynchronous_requests,
Streaming, System_instructions, Function_calling, as of its commit f1e7e3de), written here, runs
unchanged against the fake: only the client's creation differs (``offline()`` points a plain
``genai.Client()`` at the fake's loopback server, as a learner's copied code would be).

Each test does what the notebook does, in its style (prints included), then checks the outcome:
the answers, the calls made, and that each function-calling loop ends.
"""

import asyncio
import base64
import time

import pytest
from google import genai

from course_lib import offline, use_fake
from course_lib.client.session import SESSION

MODEL_ID = "gemini-3-flash-preview"  # one of the cookbook's choices; a Gemini 3 model signs calls


@pytest.fixture
def client():
    use_fake(latency=0.2)
    offline()
    return genai.Client()  # the one line that differs: no key from Colab's secrets


# -- Asynchronous_requests: images described concurrently ----------------------------------------
async def fetch_image(name: str) -> str:
    """Stands in for the notebook's aiohttp download: base64 bytes, after a moment."""
    await asyncio.sleep(0.05)
    return base64.b64encode(f"JPEG bytes of {name}".encode()).decode()


async def test_asynchronous_requests(client, capsys):
    prompt = "Describe this image in just 3 words."
    names = ["firefighter.jpg", "elephants.jpeg", "jetpack.jpg"]

    async def process_image(img_future) -> str:
        img_b64 = await img_future
        interaction = await client.aio.interactions.create(
            model=MODEL_ID,
            input=[
                {"type": "image", "data": img_b64, "mime_type": "image/jpeg"},
                {"type": "text", "text": prompt},
            ],
        )
        return interaction.steps[-1].content[0].text

    async def download_and_describe():
        futures = [process_image(fetch_image(name)) for name in names]
        print(f"Download and content generation queued for {len(futures)} images.")
        for response in asyncio.as_completed(futures):
            print()
            print(await response)

    await process_image(fetch_image("warm-up.jpg"))  # the SDK's first call builds its types
    start = time.perf_counter()
    await download_and_describe()
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out
    assert out.startswith("Download and content generation queued for 3 images.\n\n")
    assert out.count("\n\n") >= 3 and len(out.split()) > 3 * 10  # three answers, each printed
    calls = [call for call in SESSION.current_fake().log if call.prompt == prompt]
    assert [call.status for call in calls] == [200] * 4  # the warm-up and the three images
    assert elapsed < 3 * 0.2  # the three calls overlapped


# -- Streaming: sync and async ---------------------------------------------------------------------
async def test_streaming(client, capsys):
    response = client.interactions.create(
        model=MODEL_ID,
        input="Tell me a story in 100 words about a clock that runs backwards.",
        stream=True,
    )
    for event in response:
        if hasattr(event, "delta") and hasattr(event.delta, "text") and event.delta.text:
            print(event.delta.text, end="")
    story = capsys.readouterr().out

    async def get_response():
        response = await client.aio.interactions.create(
            model=MODEL_ID, input="Write a short story about a lighthouse in 80 words", stream=True
        )
        async for event in response:
            if hasattr(event, "delta") and hasattr(event.delta, "text") and event.delta.text:
                print(event.delta.text, end="")

    await get_response()
    other = capsys.readouterr().out
    assert len(story.split()) >= 60 and len(other.split()) >= 40 and story != other


# -- System_instructions: a persona, carried through a conversation ------------------------------
def test_system_instructions(client, capsys):
    system_prompt = "You are a friendly pirate. Speak like one."
    turn_1 = client.interactions.create(
        model=MODEL_ID, input="Good day fine chatbot", system_instruction=system_prompt
    )
    print(turn_1.steps[-1].content[0].text)
    turn_2 = client.interactions.create(
        model=MODEL_ID, input="How's your boat doing?", previous_interaction_id=turn_1.id
    )
    print(turn_2.steps[-1].content[0].text)
    html = client.interactions.create(
        model=MODEL_ID,
        input="A flexbox with a logo on the left and links on the right.",
        system_instruction="Return only HTML with inline CSS.",
    )
    rendered = html.steps[-1].content[0].text.strip().removeprefix("```html").removesuffix("```")
    printed = capsys.readouterr().out
    assert printed.count("\n") >= 2 and rendered
    first = turn_1.usage
    assert turn_2.usage.total_input_tokens > first.total_input_tokens + first.total_output_tokens


# -- Function_calling: declare tools, run the calls, send the results back until none remain ----
def enable_lights():
    """Turn on the lighting system."""
    print("LIGHTBOT: Lights enabled.")
    return "done"


def set_light_color(rgb_hex: str):
    """Set the light color."""
    print(f"LIGHTBOT: Lights set to {rgb_hex}.")
    return "done"


def power_disco_ball(power: bool) -> bool:
    print(f"Disco ball is {'spinning!' if power else 'stopped.'}")
    return True


def start_music(energetic: bool, loud: bool, bpm: int) -> str:
    print(f"Starting music! {energetic=} {loud=}, {bpm=}")
    return "Never gonna give you up."


def dim_lights(brightness: float) -> bool:
    print(f"Lights are now set to {brightness:.0%}")
    return True


def declare(name, description, **properties):
    return {
        "type": "function",
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": properties, "required": list(properties)},
    }


LIGHTS = {"enable_lights": enable_lights, "set_light_color": set_light_color}
LIGHT_TOOLS = [
    declare("enable_lights", "Turn on the lighting system."),
    declare("set_light_color", "Set the light color.", rgb_hex={"type": "string"}),
]
HOUSE = {"power_disco_ball": power_disco_ball, "start_music": start_music, "dim_lights": dim_lights}
HOUSE_TOOLS = [
    declare("power_disco_ball", "Powers the spinning disco ball.", power={"type": "boolean"}),
    declare(
        "start_music",
        "Play some music matching the specified parameters.",
        energetic={"type": "boolean"},
        loud={"type": "boolean"},
        bpm={"type": "integer"},
    ),
    declare("dim_lights", "Dim the lights.", brightness={"type": "number"}),
]


def run_until_answered(client, prompt, tools, functions, system_instruction=None):
    """The notebook's loop: run every function_call step, send the results back with
    previous_interaction_id, until an interaction has no function_call step. Returns the last
    interaction and the number of round trips (the loop must end: at most 10 here)."""
    extra = {"system_instruction": system_instruction} if system_instruction else {}
    interaction = client.interactions.create(model=MODEL_ID, input=prompt, tools=tools, **extra)
    prev_id, rounds = interaction.id, 0
    while any(s.type == "function_call" for s in interaction.steps):
        rounds += 1
        assert rounds <= 10, "the function-calling loop does not end"
        results = []
        for step in interaction.steps:
            if step.type == "function_call":
                print(f"Calling: {step.name}({step.arguments})")
                fn = functions[step.name]
                result = fn(**step.arguments) if step.arguments else fn()
                results.append(
                    {
                        "type": "function_result",
                        "name": step.name,
                        "call_id": step.id,
                        "result": str(result),
                    }
                )
        interaction = client.interactions.create(
            model=MODEL_ID, input=results, previous_interaction_id=prev_id, tools=tools
        )
        prev_id = interaction.id
    for step in interaction.steps:
        if step.type == "model_output":
            print(f"Model: {step.content[0].text}")
    return interaction, rounds


def test_function_calling_a_party(client, capsys):
    interaction, rounds = run_until_answered(
        client, "Turn this place into a party: music and dim the lights!", HOUSE_TOOLS, HOUSE
    )
    printed = capsys.readouterr().out
    assert rounds == 1 and interaction.status == "completed"
    assert "Calling: start_music(" in printed and "Calling: dim_lights(" in printed
    assert "Starting music! energetic=True loud=True, bpm=" in printed  # the schema's own types
    assert "Lights are now set to" in printed and "Model: From the tools:" in printed


def test_function_calling_lights_with_a_system_instruction(client, capsys):
    instruction = (
        "You are a helpful lighting system bot. You can turn lights on and set their color."
    )
    interaction, rounds = run_until_answered(
        client, "Make this place PURPLE! Set the light color.", LIGHT_TOOLS, LIGHTS, instruction
    )
    printed = capsys.readouterr().out
    assert rounds == 1 and "LIGHTBOT: Lights set to" in printed
    assert interaction.output_text.startswith("From the tools: set_light_color returned")


def test_without_tools_the_model_just_answers(client, capsys):
    interaction = client.interactions.create(
        model=MODEL_ID,
        input="Hello light-bot, what can you do?",
        system_instruction="You are a light bot.",
    )
    for step in interaction.steps:
        if step.type == "model_output":
            print(f"Model: {step.content[0].text}")
    assert capsys.readouterr().out.startswith("Model: ")
    assert [s.type for s in interaction.steps if s.type == "function_call"] == []
