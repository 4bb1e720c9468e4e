"""The `transformers` planner: a local vision-language model loaded with Hugging Face
transformers from a folder (no downloads: `model_path` must hold the weights, the processor
or tokenizer, and a chat template).

It uses the same prompt, checks, re-ask and fallback as the `openai` planner (see
`attempts`); only `generate` differs: the OpenAI-format messages are turned into the
processor's chat format, camera frames (JPEG data URLs) are decoded to PIL images, and the
answer is decoded token by token while `generate` runs, so a step can be handed to `on_step`
as soon as its JSON closes. Without constrained decoding a small model may well write
something that is not a valid turn; that is what the checks and the fallback are for.
`generate_kwargs` reach `model.generate` unchanged (e.g. a `logits_processor` that enforces a
JSON schema).

Text-only models get every message's content as one string (Qwen2.5's chat template, like
many, concatenates `content` and fails on a list of parts); vision-language models get lists
of parts with the images. For text-only models the system prompt's KV cache is computed once
and copied into each turn's `generate`, so a turn pays only for its own tokens; it is used only
when the system prompt's tokens are an exact prefix of the turn's (checked every turn).
"""

from __future__ import annotations

import base64
import copy
import io
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field

from agent.planners.attempts import Feed, FallbackSource, ModelFault, Reply, plan_once
from agent.planners.base import Planner, PlannerCancelled, StepCallback
from agent.planners.fallback import FallbackMode
from agent.planners.prompting import build_prompt, catalogue, system_prompt
from agent.schema import PlannerInput, PlannerTurn, SkillInfo
from skills.registry import SkillRegistry, load_registry

log = logging.getLogger(__name__)


class TransformersPlannerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_path: str = Field(description="a local folder with the model, its processor/tokenizer and chat template")
    max_new_tokens: int = Field(default=512, gt=0)
    max_retries: int = Field(default=1, ge=0)
    fallback: FallbackMode = "rules"
    images: bool = True
    max_image_side: int = Field(default=448, gt=0, description="frames are downscaled to this before the processor")
    temperature: float = Field(default=0.0, ge=0, description="0 = greedy")
    device: str = "cpu"
    dtype: str = Field(default="auto", description="'auto', 'float32', 'bfloat16' or 'float16'")
    stream: bool = Field(default=True, description="hand steps over while generating")
    timeout_s: float = Field(default=300.0, gt=0, description="whole answer, per attempt (checked between tokens)")
    prefix_cache: bool = Field(default=True, description="keep the system prompt's KV cache between turns (text models)")


class TransformersPlanner:
    name = "transformers"

    def __init__(
        self,
        config: TransformersPlannerConfig | str | Path,
        registry: SkillRegistry | None = None,
        *,
        fallback_planner: Planner | None = None,
        generate_kwargs: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`config` may be just the model folder. `registry` defaults to built-ins and plugins."""
        if not isinstance(config, TransformersPlannerConfig):
            config = TransformersPlannerConfig(model_path=str(config))
        self.config = config
        self.registry = registry if registry is not None else load_registry()
        self._fallback = FallbackSource(config.fallback, self.registry, fallback_planner)
        self._generate_kwargs = dict(generate_kwargs or {})
        self._clock = clock
        self._catalogue = [SkillInfo.model_validate(e) for e in self.registry.catalogue()]
        self._system_for: tuple[str, str] | None = None  # (catalogue key, rendered system prompt)
        # One generate at a time: a model object is not safe to share between threads.
        self._lock = threading.Lock()
        self.model, self.processor, self.tokenizer = _load(config)
        self.sees_images = getattr(self.processor, "image_processor", None) is not None
        self._prefix: tuple[str, Any, Any] | None = None  # (system text, its token ids, its KV cache)
        self.last_metrics: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"TransformersPlanner(model_path={self.config.model_path!r})"

    def plan(self, inp: PlannerInput, on_step: StepCallback | None = None,
             cancel: threading.Event | None = None) -> PlannerTurn:
        turn, _ = self.plan_with_metrics(inp, on_step, cancel)
        return turn

    def plan_with_metrics(self, inp: PlannerInput, on_step: StepCallback | None = None,
                          cancel: threading.Event | None = None) -> tuple[PlannerTurn, dict[str, Any]]:
        t0 = self._clock()
        cfg = self.config
        skills = catalogue(inp, self._catalogue)
        prompt = build_prompt(inp, skills, with_images=cfg.images and self.sees_images, system=self._system(skills))
        turn, metrics = plan_once(self, model=str(cfg.model_path), stream=cfg.stream, prompt=prompt,
                                  inp=inp, registry=self.registry, on_step=on_step, generate=self.generate,
                                  fallback=self._fallback, max_retries=cfg.max_retries, clock=self._clock, t0=t0,
                                  cancel=cancel)
        return turn, metrics

    def _system(self, skills: list[SkillInfo]) -> str:
        key = json.dumps([s.model_dump() for s in skills], sort_keys=True)
        if self._system_for is None or self._system_for[0] != key:
            self._system_for = (key, system_prompt(skills))
        return self._system_for[1]

    # -- the generate boundary -------------------------------------------------------------

    def generate(self, messages: list[dict[str, Any]], feed: Feed, cancel: threading.Event | None = None) -> Reply:
        """Run the model on OpenAI-format `messages`; `feed` gets the answer as it is decoded."""
        import torch  # noqa: PLC0415 - heavy, and only needed when a local model is used

        hf_messages, images = to_hf_messages(messages, self.config.max_image_side, as_text=not self.sees_images)
        stop = _Stop(cancel, time.monotonic() + self.config.timeout_s)
        try:
            with self._lock:
                text = self._chat_text(hf_messages)
                if images:
                    inputs = self.processor(text=text, images=images, return_tensors="pt")
                else:
                    inputs = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
                inputs = {k: v.to(self.model.device) if hasattr(v, "to") else v for k, v in inputs.items()}
                prompt_len = int(inputs["input_ids"].shape[1])
                streamer = _DecodeStreamer(self.tokenizer, prompt_len, feed) if self.config.stream else None
                from transformers import StoppingCriteriaList  # noqa: PLC0415

                kwargs: dict[str, Any] = {"max_new_tokens": self.config.max_new_tokens, "streamer": streamer,
                                          "stopping_criteria": StoppingCriteriaList([stop])}
                if self.config.temperature > 0:
                    kwargs.update(do_sample=True, temperature=self.config.temperature)
                else:
                    kwargs.update(do_sample=False)
                pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
                if pad is not None:
                    kwargs["pad_token_id"] = pad
                cached = 0
                if not images and self.config.prefix_cache:
                    cached, cache = self._cached_prefix(hf_messages, inputs["input_ids"])
                    if cache is not None:
                        kwargs[_cache_kwarg()] = cache
                kwargs.update(self._generate_kwargs)
                with torch.inference_mode():
                    out = self.model.generate(**inputs, **kwargs)
        except (RuntimeError, ValueError, TypeError, IndexError) as e:
            # A broken model folder or an input it cannot take: asking again will not help.
            raise ModelFault("model", f"{type(e).__name__}: {e}", retryable=False) from None
        if stop.why == "cancel":
            raise PlannerCancelled("the planner call was cancelled")
        if stop.why == "timeout":
            raise ModelFault("timeout", f"no complete answer within {self.config.timeout_s:g} s")
        new = out[0, prompt_len:]
        answer = self.tokenizer.decode(new, skip_special_tokens=True)
        if streamer is None:
            feed(answer)
        eos = self.tokenizer.eos_token_id
        hit_limit = len(new) >= self.config.max_new_tokens and (eos is None or int(new[-1]) != eos)
        usage = {"prompt_tokens": prompt_len, "completion_tokens": int(len(new)),
                 "prompt_tokens_details": {"cached_tokens": cached}}
        return Reply(answer, "length" if hit_limit else "stop", usage)

    def _cached_prefix(self, hf_messages: list[dict[str, Any]], input_ids: Any) -> tuple[int, Any]:
        """(cached tokens, a copy of the system prompt's KV cache) when the system prompt's
        tokens begin this prompt; (0, None) otherwise. The copy keeps the kept cache clean."""
        import torch  # noqa: PLC0415

        if not hf_messages or hf_messages[0]["role"] != "system":
            return 0, None
        system_text = self._chat_text(hf_messages[:1], generation_prompt=False)
        fresh = self._prefix is None or self._prefix[0] != system_text
        if fresh:
            ids = self.tokenizer(system_text, return_tensors="pt", add_special_tokens=False)["input_ids"]
            ids = ids.to(self.model.device)
            with torch.inference_mode():
                cache = self.model(input_ids=ids, use_cache=True).past_key_values
            self._prefix = (system_text, ids, cache)
        _, ids, cache = self._prefix
        n = int(ids.shape[1])
        # At least one token must be left for generate to evaluate.
        if n >= int(input_ids.shape[1]) or not torch.equal(input_ids[0, :n], ids[0]):
            return 0, None
        # Computed just now, the prefix was paid for by this turn: not counted as cached.
        return (0 if fresh else n), copy.deepcopy(cache)

    def _chat_text(self, hf_messages: list[dict[str, Any]], generation_prompt: bool = True) -> str:
        owner = self.processor if getattr(self.processor, "chat_template", None) else self.tokenizer
        return owner.apply_chat_template(hf_messages, add_generation_prompt=generation_prompt, tokenize=False)


def _cache_kwarg() -> str:
    """transformers 5 renamed generate's `past_key_values` to `cache`."""
    import transformers  # noqa: PLC0415

    return "cache" if int(transformers.__version__.split(".")[0]) >= 5 else "past_key_values"


class _Stop:
    """Ends `generate` between tokens when the call is cancelled or its deadline passes."""

    def __init__(self, cancel: threading.Event | None, deadline: float) -> None:
        self.cancel = cancel
        self.deadline = deadline
        self.why: str | None = None

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch  # noqa: PLC0415

        if self.cancel is not None and self.cancel.is_set():
            self.why = "cancel"
        elif time.monotonic() > self.deadline:
            self.why = "timeout"
        return torch.full((input_ids.shape[0],), self.why is not None, dtype=torch.bool, device=input_ids.device)


class _DecodeStreamer:
    """A `generate` streamer that decodes the new tokens as they come and feeds the new text.
    Decoding the whole answer each time keeps multi-byte characters split across tokens
    intact; a trailing replacement character waits for the next token."""

    def __init__(self, tokenizer: Any, prompt_len: int, feed: Feed) -> None:
        self._tokenizer = tokenizer
        self._feed = feed
        self._skip = prompt_len
        self._ids: list[int] = []
        self._sent = ""

    def put(self, value: Any) -> None:
        ids = value.reshape(-1).tolist()
        if self._skip:  # the first put is the prompt
            taken = min(self._skip, len(ids))
            self._skip -= taken
            ids = ids[taken:]
        if not ids:
            return
        self._ids += ids
        text = self._tokenizer.decode(self._ids, skip_special_tokens=True)
        if text.endswith("\ufffd") or not text.startswith(self._sent):
            return
        piece, self._sent = text[len(self._sent) :], text
        self._feed(piece)

    def end(self) -> None:
        text = self._tokenizer.decode(self._ids, skip_special_tokens=True)
        if text.startswith(self._sent) and len(text) > len(self._sent):
            self._feed(text[len(self._sent) :])
            self._sent = text


def to_hf_messages(messages: list[dict[str, Any]], max_side: int,
                   as_text: bool = False) -> tuple[list[dict[str, Any]], list[Any]]:
    """OpenAI chat messages -> the processor's chat format plus the decoded images, in order.
    `as_text`: a text-only model: each content is one string, images are left out."""
    hf: list[dict[str, Any]] = []
    images: list[Any] = []
    for msg in messages:
        content = msg["content"]
        if as_text:
            if not isinstance(content, str):
                content = "\n".join(p["text"] for p in content if p.get("type") == "text")
            hf.append({"role": msg["role"], "content": content})
            continue
        parts: list[dict[str, Any]] = []
        if isinstance(content, str):
            parts.append({"type": "text", "text": content})
        else:
            # Images first, then the text that refers to them: the layout most VLM chat
            # templates were trained with.
            for p in content:
                if p.get("type") == "image_url":
                    images.append(decode_data_url(p["image_url"]["url"], max_side))
                    parts.append({"type": "image"})
            parts += [{"type": "text", "text": p["text"]} for p in content if p.get("type") == "text"]
        hf.append({"role": msg["role"], "content": parts})
    return hf, images


def decode_data_url(url: str, max_side: int) -> Any:
    from PIL import Image  # noqa: PLC0415

    if not url.startswith("data:"):
        raise ModelFault("input", "only data: URLs are accepted for local images", retryable=False)
    _, _, b64 = url.partition(",")
    try:
        img = Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB")
    except Exception as e:  # PIL raises several types for bad data
        raise ModelFault("input", f"camera frame could not be decoded: {type(e).__name__}", retryable=False) from None
    img.thumbnail((max_side, max_side))
    return img


def _load(config: TransformersPlannerConfig) -> tuple[Any, Any, Any]:
    """Model, processor (or tokenizer for a text-only model) and tokenizer, from the folder only."""
    import torch  # noqa: PLC0415
    import transformers  # noqa: PLC0415

    path = config.model_path
    dtype = "auto" if config.dtype == "auto" else getattr(torch, config.dtype)
    try:
        processor = transformers.AutoProcessor.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError):
        processor = None
    tokenizer = getattr(processor, "tokenizer", None) or transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    if processor is None:
        processor = tokenizer
    model_classes = [getattr(transformers, n) for n in ("AutoModelForImageTextToText", "AutoModelForVision2Seq",
                                                        "AutoModelForCausalLM") if hasattr(transformers, n)]
    last: Exception | None = None
    for cls in model_classes:
        try:
            model = cls.from_pretrained(path, local_files_only=True, dtype=dtype)
            break
        except (ValueError, KeyError, OSError) as e:  # this auto class does not know the architecture
            last = e
    else:
        raise RuntimeError(f"no transformers auto class can load {path!r}: {last}")
    model.to(config.device)
    model.eval()
    return model, processor, tokenizer
