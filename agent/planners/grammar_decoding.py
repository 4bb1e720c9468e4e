"""Greedy decoding under a grammar that asks the grammar about the model's own choice first.

llama-cpp-python puts the grammar in its sampler chain before everything else, so every token
the grammar is matched against the whole vocabulary (151k entries for Qwen2.5) across all its
open alternatives. With the planner turn's grammar (one alternative per kind of turn and per
skill) that made constrained decoding 3-5 times slower than free decoding on this CPU. A model
that has seen worked examples almost always picks a token the grammar allows anyway, so this
does what llama.cpp's own command-line sampler does: take the model's greedy choice, ask the
grammar about that one token, and only when the grammar refuses it mask the whole vocabulary.
The output is the same as with the grammar in the chain (greedy under the same grammar); only
the cost differs.

`decode()` renders the chat with the model's own template (any GGUF), lets llama.cpp reuse the
longest cached token prefix (the system prompt stays in the KV cache between turns), and yields
text pieces as they are decoded.
"""

from __future__ import annotations

import codecs
import ctypes
import math
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np


@dataclass
class Decoded:
    """What one decode did: filled in as it goes, complete once the generator is exhausted."""

    prompt_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    finish: str | None = None  # "stop" (end of turn), "length" (max_tokens)


class GrammarCheck:
    """A logits processor holding its own llama.cpp grammar state (see the module docstring).

    It is called once per sampled token with every token so far; tokens it has not seen since
    the prompt are the ones the sampler chose, and are fed to the grammar before checking."""

    def __init__(self, llm: Any, gbnf: str, root: str = "root") -> None:
        import llama_cpp  # noqa: PLC0415 - optional runtime
        from llama_cpp._internals import LlamaTokenDataArray  # noqa: PLC0415

        self._lc = llama_cpp
        self._smpl = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, gbnf.encode("utf-8"), root.encode("utf-8"))
        if not self._smpl:
            raise ValueError("llama.cpp could not compile the grammar")
        self._one_data = (llama_cpp.llama_token_data * 1)()
        self._one = llama_cpp.llama_token_data_array(data=self._one_data, size=1, selected=-1, sorted=False)
        self._full = LlamaTokenDataArray(n_vocab=llm.n_vocab())
        self._seen: int | None = None

    def close(self) -> None:
        if self._smpl:
            self._lc.llama_sampler_free(self._smpl)
            self._smpl = None

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        n = len(input_ids)
        if self._seen is None:
            self._seen = n  # the prompt: nothing for the grammar
        while self._seen < n:
            self._lc.llama_sampler_accept(self._smpl, int(input_ids[self._seen]))
            self._seen += 1
        top = int(np.argmax(scores))
        self._one_data[0].id = top
        self._one_data[0].logit = float(scores[top])
        self._one_data[0].p = 0.0
        self._one.size = 1
        self._one.selected = -1
        self._lc.llama_sampler_apply(self._smpl, ctypes.byref(self._one))
        if math.isfinite(self._one_data[0].logit):
            return scores
        self._full.copy_logits(np.asarray(scores, dtype=np.single))
        self._full.candidates.selected = -1
        self._lc.llama_sampler_apply(self._smpl, ctypes.byref(self._full.candidates))
        return np.array(self._full.candidates_data.logit, dtype=np.single)


def chat_tokens(llm: Any, messages: list[dict[str, Any]]) -> list[int]:
    """The chat rendered with the GGUF's own template (as llama-cpp-python's chat completion
    does), as tokens."""
    from llama_cpp import llama_chat_format  # noqa: PLC0415

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise ValueError("the GGUF file carries no chat template (tokenizer.chat_template)")
    eos_id, bos_id = llm.token_eos(), llm.token_bos()
    fmt = llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=llm._model.token_get_text(eos_id) if eos_id != -1 else "",
        bos_token=llm._model.token_get_text(bos_id) if bos_id != -1 else "",
        stop_token_ids=[eos_id])
    result = fmt(messages=messages)
    return llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)


def decode(llm: Any, messages: list[dict[str, Any]], gbnf: str | None, max_tokens: int,
           stats: Decoded) -> Iterator[str]:
    """Greedy decoding of the chat's answer under `gbnf` (None: unconstrained). Yields text
    pieces; `stats` is filled in as it goes."""
    import llama_cpp  # noqa: PLC0415

    tokens = chat_tokens(llm, messages)
    before = list(llm._input_ids[: llm.n_tokens])
    cached = 0
    for a, b in zip(before, tokens):
        if a != b:
            break
        cached += 1
    stats.prompt_tokens, stats.cached_tokens = len(tokens), min(cached, max(0, len(tokens) - 1))
    check = GrammarCheck(llm, gbnf) if gbnf else None
    processors = llama_cpp.LogitsProcessorList([check]) if check else None
    vocab = llm._model.vocab
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    out: list[int] = []
    try:
        for token in llm.generate(tokens, temp=0.0, top_k=1, repeat_penalty=1.0, logits_processor=processors):
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                stats.finish = "stop"
                break
            out.append(token)
            stats.output_tokens = len(out)
            piece = utf8.decode(llm.detokenize([token], prev_tokens=tokens + out[:-1]))
            if piece:
                yield piece
            if len(out) >= max_tokens:
                stats.finish = "length"
                break
        tail = utf8.decode(b"", final=True)
        if tail:
            yield tail
    finally:
        if check is not None:
            check.close()
