"""The `transformers` planner with a tiny, randomly initialised vision-language model built
here (a LLaVA layout: a CLIP vision tower and a Llama text model, a byte-level BPE tokenizer
trained on a few strings). Nothing is downloaded. Random weights write garbage, which must
end in the checked fallback; the parsing path is exercised by forcing `generate` to emit a
known answer token by token through a logits processor."""

from __future__ import annotations

import base64
import io

import pytest

torch = pytest.importorskip("torch", reason="the transformers planner needs torch (pip install -e .[local])")
transformers = pytest.importorskip("transformers", reason="the transformers planner needs transformers (pip install -e .[local])")
pytest.importorskip("tokenizers", reason="building the test tokenizer needs tokenizers")

from agent.planners.fallback import ASK_TEXT  # noqa: E402
from agent.planners.transformers_backend import TransformersPlanner, TransformersPlannerConfig  # noqa: E402
from agent.schema import PlannerTurn, PlanStep  # noqa: E402
from tests.planner_fixtures import BLOCK_TO_TRAY, RED_TO_BIN, planner_input, registry, turn_json  # noqa: E402

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n"
    "{% if m.content is string %}{{ m.content }}{% else %}{% for p in m.content %}"
    "{% if p.type == 'image' %}<image>{% else %}{{ p.text }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _build_tiny_vlm(folder) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration,
                              LlavaProcessor, PreTrainedTokenizerFast)

    try:
        from transformers import CLIPImageProcessorPil as ImageProcessor  # no torchvision needed
    except ImportError:
        from transformers import CLIPImageProcessor as ImageProcessor

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<pad>", "<s>", "</s>", "<image>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([turn_json([RED_TO_BIN, BLOCK_TO_TRAY]), "Put the red cup in the bin."], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    tokenizer.chat_template = CHAT_TEMPLATE
    image_processor = ImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=14,
                               vision_feature_select_strategy="default", chat_template=CHAT_TEMPLATE,
                               num_additional_image_tokens=1)
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                                       image_size=28, patch_size=14, projection_dim=16),
        text_config=LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=8192,
                                bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                                pad_token_id=tokenizer.pad_token_id),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    torch.manual_seed(0)
    LlavaForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-vlm")
    _build_tiny_vlm(folder)
    return str(folder)


@pytest.fixture(scope="module")
def jpeg_url() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, format="JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


class ForceAnswers:
    """A logits processor that makes `generate` write the given texts, one per generate call,
    token by token, then end. It proves the real generate -> decode -> parse path."""

    def __init__(self, tokenizer, *texts: str):
        self._seqs = [tokenizer.encode(t, add_special_tokens=False) + [tokenizer.eos_token_id] for t in texts]
        self._call = -1
        self._start = 0
        self._last_len = -1

    def __call__(self, input_ids, scores):
        cur = input_ids.shape[1]
        if cur != self._last_len + 1:  # a new generate call
            self._call = min(self._call + 1, len(self._seqs) - 1)
            self._start = cur
        self._last_len = cur
        seq = self._seqs[self._call]
        target = seq[min(cur - self._start, len(seq) - 1)]
        forced = torch.full_like(scores, float("-inf"))
        forced[:, target] = 0.0
        return forced


def _planner(model_dir, generate_kwargs=None, **cfg) -> TransformersPlanner:
    cfg.setdefault("max_new_tokens", 24)
    return TransformersPlanner(TransformersPlannerConfig(model_path=model_dir, **cfg), registry=registry(),
                               generate_kwargs=generate_kwargs,
                               fallback_planner=_Rules(PlannerTurn(say="rules", steps=[RED_TO_BIN])))


class _Rules:
    name = "rules"

    def __init__(self, turn):
        self.turn = turn

    def plan(self, inp, on_step=None, cancel=None):
        return self.turn


def test_garbage_from_random_weights_ends_in_the_checked_fallback(model_dir, jpeg_url):
    p = _planner(model_dir, fallback="ask")
    got: list[PlanStep] = []
    turn = p.plan(planner_input(images={"front": jpeg_url}), on_step=got.append)
    assert turn.question == ASK_TEXT and turn.steps == [] and got == []
    m = p.last_metrics
    assert m["attempts"] == 2 and m["fallback"] == "ask" and m["images"] == 1
    assert m["tokens_in"] > 0 and m["tokens_out"] > 0
    assert all(f.startswith("rejected:") for f in m["faults"])


def test_garbage_falls_back_to_rules(model_dir):
    p = _planner(model_dir, fallback="rules", max_retries=0)
    got: list[PlanStep] = []
    turn = p.plan(planner_input(), on_step=got.append)
    assert turn.steps == [RED_TO_BIN] and got == [RED_TO_BIN] and p.last_metrics["fallback"] == "rules"


def test_forced_valid_answer_is_parsed_checked_and_streamed(model_dir, jpeg_url):
    probe = _planner(model_dir)
    answer = turn_json([RED_TO_BIN, BLOCK_TO_TRAY])
    force = ForceAnswers(probe.tokenizer, answer)
    p = _planner(model_dir, generate_kwargs={"logits_processor": transformers.LogitsProcessorList([force])},
                 max_new_tokens=len(probe.tokenizer.encode(answer)) + 4)
    got: list[PlanStep] = []
    turn = p.plan(planner_input(images={"front": jpeg_url}), on_step=got.append)
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY] and got == turn.steps
    m = p.last_metrics
    assert m["attempts"] == 1 and m["fallback"] is None
    assert m["early_steps"] == 2  # both handed over while generate was still running
    assert m["latency_first_step_s"] < m["latency_total_s"]


def test_bad_answer_is_reasked_once_then_accepted(model_dir):
    probe = _planner(model_dir)
    bad = turn_json([PlanStep(skill="place", args={"object": "purple vase", "relation": "in", "target": "bin"})])
    good = turn_json([BLOCK_TO_TRAY])
    force = ForceAnswers(probe.tokenizer, bad, good)
    p = _planner(model_dir, generate_kwargs={"logits_processor": transformers.LogitsProcessorList([force])},
                 max_new_tokens=len(probe.tokenizer.encode(bad)) + 4)
    turn = p.plan(planner_input())
    assert turn.steps == [BLOCK_TO_TRAY]
    m = p.last_metrics
    assert m["attempts"] == 2 and "purple vase" in m["faults"][0]


# -- a text-only model whose chat template takes only strings (as Qwen2.5's does) ----------------

STRING_ONLY_TEMPLATE = (
    "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def text_model_dir(tmp_path_factory):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-text-lm")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<pad>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([turn_json([RED_TO_BIN, BLOCK_TO_TRAY]), "Put the red cup in the bin."], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    tokenizer.chat_template = STRING_ONLY_TEMPLATE
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=8192,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def test_the_string_only_template_would_fail_on_parts(text_model_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(text_model_dir, local_files_only=True)
    with pytest.raises(TypeError):  # what every turn used to do with such a model
        tok.apply_chat_template([{"role": "user", "content": [{"type": "text", "text": "hi"}]}], tokenize=False)


def test_text_only_model_gets_strings_and_its_answer_is_used(text_model_dir, jpeg_url):
    probe = _planner(text_model_dir)
    assert probe.sees_images is False
    answer = turn_json([RED_TO_BIN, BLOCK_TO_TRAY])
    force = ForceAnswers(probe.tokenizer, answer)
    p = _planner(text_model_dir, generate_kwargs={"logits_processor": transformers.LogitsProcessorList([force])},
                 max_new_tokens=len(probe.tokenizer.encode(answer)) + 4, fallback="none")
    turn = p.plan(planner_input(images={"front": jpeg_url}))  # a frame a text model cannot take is left out
    assert turn.steps == [RED_TO_BIN, BLOCK_TO_TRAY]
    assert p.last_metrics["attempts"] == 1 and p.last_metrics["fallback"] is None


def test_system_prompt_cache_is_reused_and_changes_nothing(text_model_dir):
    cached = _planner(text_model_dir, fallback="ask", max_retries=0, max_new_tokens=12)
    plain = _planner(text_model_dir, fallback="ask", max_retries=0, max_new_tokens=12, prefix_cache=False)
    answers = {}
    for name, p in (("cached", cached), ("plain", plain)):
        texts = []
        for u in ("Put the red cup in the bin.", "Put the green block on the tray."):
            hf, _ = __import__("agent.planners.transformers_backend", fromlist=["x"]).to_hf_messages(
                __import__("agent.planners.prompting", fromlist=["x"]).build_prompt(
                    planner_input(u), planner_input(u).skills, with_images=False).openai_messages(), 448, as_text=True)
            reply = p.generate([{"role": m["role"], "content": m["content"]} for m in hf], lambda s: None)
            texts.append((reply.text, reply.usage["prompt_tokens_details"]["cached_tokens"], reply.usage["prompt_tokens"]))
        answers[name] = texts
    # Greedy decoding from a restored cache writes exactly what a full evaluation writes.
    assert [t for t, _, _ in answers["cached"]] == [t for t, _, _ in answers["plain"]]
    (_, c1, _), (_, c2, n2) = answers["cached"]
    assert c1 == 0 and 0 < c2 < n2  # the first turn paid for the prefix; the second reused it
    assert all(c == 0 for _, c, _ in answers["plain"])


def test_cancel_stops_generate(text_model_dir):
    import threading

    from agent.planners.base import PlannerCancelled

    p = _planner(text_model_dir, max_new_tokens=2000)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(PlannerCancelled):
        p.plan(planner_input(), cancel=cancel)
