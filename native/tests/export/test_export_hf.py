#!/usr/bin/env python3
"""Tests of `moetrain export-hf` and `moetrain tokenize` as a user sees them: the
real binary exports a checkpoint of a small trained model, and Hugging Face
transformers, tokenizers, safetensors and lm-evaluation-harness read the folder.
References are computed at test time (moetrain's own forward pass through the
parity test program, the checkpoint's own model.pt, the trainer's own token ids).

usage: test_export_hf.py --binary PATH --runner PATH --presets-dir DIR --work-dir DIR SCENARIO
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import time

import torch
import torch.jit._pickle  # noqa: F401  (type tags in files written by torch::pickle_save)

DOMAINS = {"arithmetic", "dyck", "copy", "grammar"}
TOL_FP32 = 1e-4


class Failure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Env:
    def __init__(self, args):
        self.binary = args.binary
        self.runner = args.runner
        self.presets_dir = args.presets_dir
        self.work_dir = args.work_dir
        self.repo = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
        os.makedirs(self.work_dir, exist_ok=True)

    def path(self, *parts):
        return os.path.join(self.work_dir, *parts)

    def fresh_dir(self, name):
        p = self.path(name)
        shutil.rmtree(p, ignore_errors=True)
        os.makedirs(p)
        return p

    def run(self, *args, timeout=600):
        return subprocess.run([self.binary, *[str(a) for a in args]], capture_output=True, text=True, timeout=timeout)

    def ok(self, *args, timeout=600):
        r = self.run(*args, timeout=timeout)
        check(r.returncode == 0, f"moetrain {' '.join(map(str, args))} exited {r.returncode}\n"
                                 f"stdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}")
        return r

    # The checkpoints `prepare` wrote.
    def checkpoint(self, run="run-fp32", step=30):
        return self.path(run, "checkpoints", f"step-{step:08d}")

    def export(self, checkpoint, out, *extra):
        shutil.rmtree(out, ignore_errors=True)
        return self.ok("export-hf", "--checkpoint", checkpoint, "--out", out, *extra)

    def samples(self, checkpoint, per_domain):
        r = self.ok("tokenize", "--flags-file", os.path.join(checkpoint, "config.flags"), "--samples", per_domain,
                    "--json")
        return json.loads(r.stdout)

    def moetrain_logits(self, checkpoint, input_ids, tag, dtype="float32"):
        """moetrain's forward pass on the checkpoint's model.pt (CPU; the fp32
        weights are rounded to bfloat16 for dtype=bfloat16)."""
        batch = self.path(f"batch-{tag}.pt")
        out = self.path(f"moetrain-{tag}.pt")
        torch.save({"input_ids": input_ids, "labels": input_ids}, batch)
        cmd = [self.runner, "--weights", os.path.join(checkpoint, "model.pt"), "--batch", batch, "--out", out,
               "--flags-file", os.path.join(checkpoint, "config.flags"), "--forward-only", f"--dtype={dtype}"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, f"parity runner failed: {r.stdout}{r.stderr}")
        with torch.serialization.safe_globals([torch.jit._pickle.restore_type_tag]):
            return torch.load(out)


def read_safetensors_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = f.read(n)
    return n, json.loads(header)


# ---------------------------------------------------------------------------


def prepare(env):
    """Trains the models the other scenarios export: the tiny preset (A = G*D = 64
    != H = 128) in fp32 with checkpoints at steps 15 and 30, and a small model
    trained in bfloat16."""
    for run in ("run-fp32", "run-bf16"):
        shutil.rmtree(env.path(run), ignore_errors=True)
    common = ["--val-every=0", "--router-stats-every=0", "--log-every=5", "--cpu-threads=1", "--device=cpu"]
    env.ok("train", "--run-dir", env.path("run-fp32"), "--presets-dir", env.presets_dir, "--preset", "jetmoe-tiny",
           "--max-steps=30", "--warmup-steps=3", "--decay-steps=10", "--checkpoint-every=15", "--keep-checkpoints=3",
           "--seed=11", *common)
    env.ok("train", "--run-dir", env.path("run-bf16"), "--presets-dir", env.presets_dir, "--preset", "jetmoe-tiny",
           "--hidden-size=64", "--num-layers=2", "--intermediate-size=96", "--seq-len=64", "--micro-batch-size=4",
           "--max-steps=4", "--warmup-steps=1", "--decay-steps=0", "--dtype=bfloat16", "--seed=12", *common)
    for ck in (env.checkpoint(), env.checkpoint(step=15), env.checkpoint("run-bf16", 4)):
        check(os.path.exists(os.path.join(ck, "COMPLETE")), f"{ck} was not written")


def fp32_logits_match_moetrain(env):
    """An fp32 export loads in JetMoeForCausalLM (eager and SDPA attention) and in
    AutoModelForCausalLM, holds exactly the checkpoint's weights, and gives
    moetrain's logits on synthetic training sequences within 1e-4."""
    from safetensors import safe_open
    from transformers import AutoConfig, AutoModelForCausalLM, JetMoeForCausalLM

    ck = env.checkpoint()
    out = env.path("hf-fp32")
    r = env.export(ck, out)
    phases = [line.split(":")[0] for line in r.stdout.splitlines()]
    check(all(p.startswith("[export] ") for p in phases), f"progress lines:\n{r.stdout}")
    check(r.stdout.splitlines()[-1] == f"[export] done: {os.path.abspath(out)}", f"last line:\n{r.stdout}")
    check(sorted(os.listdir(out)) == sorted(["config.json", "generation_config.json", "model.safetensors",
                                              "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]),
          f"folder holds {sorted(os.listdir(out))}")
    check(not [n for n in os.listdir(os.path.dirname(out)) if n.startswith(".hf-fp32.tmp")], "temporary folder left")

    # The file: header, alignment, metadata, exactly model.pt's tensors, no lm_head (tied).
    n, header = read_safetensors_header(os.path.join(out, "model.safetensors"))
    check((8 + n) % 8 == 0, f"data section starts at {8 + n}, not 8-byte aligned")
    check(header["__metadata__"].get("format") == "pt", f"metadata {header['__metadata__']}")
    reference = torch.load(os.path.join(ck, "model.pt"))
    names = set(header) - {"__metadata__"}
    check(names == set(reference), f"tensor names differ: {sorted(names ^ set(reference))[:8]}")
    check("lm_head.weight" not in names, "tied model exported lm_head.weight")
    check(len(names) == 11 * 4 + 2, f"{len(names)} tensors, expected 46")
    with safe_open(os.path.join(out, "model.safetensors"), framework="pt") as f:
        for name in names:
            t = f.get_tensor(name)
            check(t.dtype == torch.float32 and torch.equal(t, reference[name]), f"{name} differs from model.pt")

    # config.json as transformers reads it.
    cfg = json.load(open(os.path.join(out, "config.json")))
    check("num_attention_heads" not in cfg, "num_attention_heads should be left to transformers")
    hf_cfg = AutoConfig.from_pretrained(out)
    check(hf_cfg.model_type == "jetmoe" and hf_cfg.architectures == ["JetMoeForCausalLM"], f"{hf_cfg}")
    check(hf_cfg.num_attention_heads == hf_cfg.num_key_value_heads * hf_cfg.num_experts_per_tok, "heads != G*k")
    check(hf_cfg.kv_channels * hf_cfg.num_key_value_heads != hf_cfg.hidden_size, "the test model should have A != H")
    check(hf_cfg.tie_word_embeddings is True and hf_cfg.rms_norm_eps == 1e-5, f"{hf_cfg}")

    data = env.samples(ck, 2)
    check({s["domain"] for s in data["samples"]} == DOMAINS, "samples miss a domain")
    ids = torch.tensor([s["ids"] for s in data["samples"]], dtype=torch.long)  # [8, 128]
    ours = env.moetrain_logits(ck, ids, "fp32")
    for attn in ("eager", "sdpa"):
        model = JetMoeForCausalLM.from_pretrained(out, attn_implementation=attn).eval()
        check(model.dtype == torch.float32, f"loaded as {model.dtype}")
        with torch.no_grad():
            res = model(input_ids=ids, labels=ids)
        diff = (res.logits - ours["logits"]).abs().max().item()
        print(f"  {attn}: max |logits diff| = {diff:.3e}, loss {res.loss.item():.5f} vs {ours['lm_loss'].item():.5f}")
        check(diff <= TOL_FP32, f"{attn}: logits differ by {diff:.3e} > {TOL_FP32}")
        check(abs(res.loss.item() - ours["lm_loss"].item()) <= TOL_FP32, "LM loss differs")
    auto = AutoModelForCausalLM.from_pretrained(out).eval()
    check(type(auto).__name__ == "JetMoeForCausalLM", f"AutoModelForCausalLM gave {type(auto).__name__}")
    with torch.no_grad():
        check((auto(input_ids=ids[:2]).logits - ours["logits"][:2]).abs().max().item() <= TOL_FP32, "auto class differs")


def bf16_export(env):
    """--dtype bf16 writes BF16 tensors equal to torch's rounding of the fp32
    masters and a config that loads as bfloat16; a run trained in bfloat16
    exports as bfloat16 by default, and --dtype fp32 overrides that."""
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    ck = env.checkpoint()
    out = env.path("hf-bf16")
    env.export(ck, out, "--dtype", "bf16")
    reference = torch.load(os.path.join(ck, "model.pt"))
    _, header = read_safetensors_header(os.path.join(out, "model.safetensors"))
    check({v["dtype"] for k, v in header.items() if k != "__metadata__"} == {"BF16"}, "not all tensors are BF16")
    st = load_file(os.path.join(out, "model.safetensors"))
    for name, t in reference.items():
        check(torch.equal(st[name], t.to(torch.bfloat16)), f"{name} is not the bf16 rounding of model.pt")
    cfg = json.load(open(os.path.join(out, "config.json")))
    check(cfg["torch_dtype"] == "bfloat16" and cfg["dtype"] == "bfloat16", f"config dtype {cfg.get('torch_dtype')}")
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    check(model.dtype == torch.bfloat16, f"default load gives {model.dtype}")
    ids = torch.tensor([s["ids"] for s in env.samples(ck, 1)["samples"]], dtype=torch.long)
    ours = env.moetrain_logits(ck, ids, "bf16", dtype="bfloat16")
    ours_fp32 = env.moetrain_logits(ck, ids, "bf16-vs-fp32")
    with torch.no_grad():
        res = model(input_ids=ids, labels=ids)
    # Both sides compute in bfloat16 the same way (router logits upcast, fp32
    # norms and softmax); only kernel accumulation order may differ.
    diff = (res.logits.float() - ours["logits"].float()).abs().max().item()
    fp32_gap = abs(res.loss.item() - ours_fp32["lm_loss"].item())
    print(f"  bf16 vs moetrain bf16: max |logits diff| {diff:.3e}; loss {res.loss.item():.5f}, "
          f"moetrain fp32 {ours_fp32['lm_loss'].item():.5f}")
    check(diff <= 2e-2, f"bf16 logits differ from moetrain's bf16 forward by {diff:.3e}")
    check(fp32_gap <= 1e-2, f"bf16 export's loss is {fp32_gap:.3e} away from the fp32 model's")

    bf16_ck = env.checkpoint("run-bf16", 4)
    r = env.export(bf16_ck, env.path("hf-bf16-default"))
    check("trained as bfloat16" in r.stdout, f"export did not see the bf16 training:\n{r.stdout}")
    check(json.load(open(env.path("hf-bf16-default", "config.json")))["torch_dtype"] == "bfloat16", "default dtype")
    env.export(bf16_ck, env.path("hf-bf16-as-fp32"), "--dtype=fp32")
    _, header = read_safetensors_header(env.path("hf-bf16-as-fp32", "model.safetensors"))
    check({v["dtype"] for k, v in header.items() if k != "__metadata__"} == {"F32"}, "--dtype=fp32 ignored")


def tokenizer_matches_trainer(env):
    """The exported tokenizer (AutoTokenizer and the bare `tokenizers` file)
    encodes sample sequences of every synthetic domain, and other text, to the
    trainer's own ids; bos/eos/pad agree with config.json."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    ck = env.checkpoint()
    out = env.path("hf-tok")
    env.export(ck, out)
    tok = AutoTokenizer.from_pretrained(out)
    raw = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    data = env.samples(ck, 3)
    seen = set()
    for s in data["samples"]:
        seen.add(s["domain"])
        hf_ids = tok(s["text"])["input_ids"]
        check(hf_ids == s["ids"], f"{s['domain']} sample {s['index']}: AutoTokenizer {hf_ids[:12]}... "
                                  f"trainer {s['ids'][:12]}...")
        check(raw.encode(s["text"]).ids == s["ids"], f"{s['domain']}: tokenizers.Tokenizer differs")
        check(tok.decode(s["ids"]) == s["text"], f"{s['domain']}: decode does not give the text back")
    check(seen == DOMAINS, f"domains sampled: {seen}")

    texts = ["47+18=65\n9*7=63\n", "c:qzwfk=qzwfk\nr:abc=cba\n", "([]{<>})\n", "the old fox sleeps near a tree .\n",
             "  two  spaces and a tab\tand CRLF\r\n", "caf\u00e9 \u2713 \u65e5\u672c", "\x00\x01\x7f nul and friends", ""]
    for i, text in enumerate(texts):
        path = env.path(f"text-{i}.txt")
        with open(path, "wb") as f:
            f.write(text.encode("utf-8"))
        trainer = json.loads(env.ok("tokenize", "--flags-file", os.path.join(ck, "config.flags"), "--file", path,
                                    "--json").stdout)["ids"]
        check(trainer == list(text.encode("utf-8")), f"trainer ids of {text!r} are not its bytes")
        check(tok(text)["input_ids"] == trainer, f"AutoTokenizer({text!r}) = {tok(text)['input_ids']}, trainer {trainer}")
        check(tok(text, add_special_tokens=True)["input_ids"] == trainer, f"special tokens were added to {text!r}")
        check(tok.decode(trainer) == text, f"decode({text!r}) = {tok.decode(trainer)!r}")

    cfg = json.load(open(os.path.join(out, "config.json")))
    gen = json.load(open(os.path.join(out, "generation_config.json")))
    check(tok.eos_token == "\n" and tok.eos_token_id == cfg["eos_token_id"] == gen["eos_token_id"] == 10,
          f"eos: tokenizer {tok.eos_token_id}, config {cfg['eos_token_id']}, generation {gen['eos_token_id']}")
    check(tok.bos_token_id == cfg["bos_token_id"] == 10 and tok.pad_token_id == cfg["pad_token_id"] == 10, "bos/pad")
    check(len(tok) == 256, f"tokenizer has {len(tok)} ids")

    # The trainer refuses bytes a smaller vocabulary cannot hold.
    r = env.run("tokenize", "--vocab-size=128", "--text", "caf\u00e9")
    check(r.returncode == 2 and "--text" in r.stderr and "offset 3" in r.stderr, f"{r.returncode} {r.stderr}")


def errors_leave_nothing_behind(env):
    """Incomplete and corrupt checkpoints fail with exit 1, say what is wrong and
    which checkpoints can be exported instead, and write nothing; an existing
    folder is kept unless --force; leftovers of killed exports are removed."""
    good = env.checkpoint(step=15)
    work = env.fresh_dir("errors")
    out = os.path.join(work, "model")

    incomplete = os.path.join(work, "checkpoints", "step-00000099")
    shutil.copytree(good, incomplete)
    shutil.copytree(env.checkpoint(), os.path.join(work, "checkpoints", "step-00000030"))
    os.remove(os.path.join(incomplete, "COMPLETE"))
    r = env.run("export-hf", "--checkpoint", incomplete, "--out", out)
    check(r.returncode == 1, f"incomplete: exit {r.returncode}: {r.stderr}")
    check("COMPLETE" in r.stderr and "pick another checkpoint" in r.stderr and "step-00000030" in r.stderr,
          f"incomplete: {r.stderr}")

    corrupt = os.path.join(work, "checkpoints", "step-00000098")
    shutil.copytree(good, corrupt)
    with open(os.path.join(corrupt, "model.pt"), "r+b") as f:
        f.seek(os.path.getsize(os.path.join(corrupt, "model.pt")) // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    r = env.run("export-hf", "--checkpoint", corrupt, "--out", out)
    check(r.returncode == 1 and "checksum" in r.stderr and "model.pt" in r.stderr, f"corrupt: {r.stderr}")
    check("step-00000030" in r.stderr and "step-00000099" not in r.stderr, f"alternatives: {r.stderr}")
    check(sorted(os.listdir(work)) == ["checkpoints"], f"a failed export left {sorted(os.listdir(work))}")

    for args, flag in ((["--dtype=fp16"], "--dtype"), (["--bos-token-id=3"], "--bos-token-id"),
                       (["--tokenizer", work], "--tokenizer"), (["--frobnicate"], "--frobnicate")):
        r = env.run("export-hf", "--checkpoint", good, "--out", out, *args)
        check(r.returncode == 2 and flag in r.stderr, f"{args}: exit {r.returncode}: {r.stderr}")
        check(not os.path.exists(out), f"{args}: wrote {out}")
    r = env.run("export-hf", "--checkpoint", os.path.dirname(os.path.dirname(env.checkpoint())), "--out", out)
    check(r.returncode == 2 and "step-00000030" in r.stderr, f"run dir as checkpoint: {r.stderr}")

    # A stale temporary folder of a killed export (its pid is gone) is cleaned up.
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = os.path.join(work, f".model.tmp-{dead.pid}")
    os.makedirs(stale)
    env.ok("export-hf", "--checkpoint", good, "--out", out)
    check(not os.path.exists(stale), "stale temporary folder was not removed")
    marker = os.path.join(out, "config.json")
    before = open(marker).read()
    r = env.run("export-hf", "--checkpoint", env.checkpoint(), "--out", out)
    check(r.returncode == 2 and "--force" in r.stderr, f"existing folder: {r.stderr}")
    check(open(marker).read() == before, "existing folder was modified")
    open(os.path.join(out, "extra-file"), "w").close()
    env.ok("export-hf", "--checkpoint", env.checkpoint(), "--out", out, "--force", "--dtype=bf16")
    check(not os.path.exists(os.path.join(out, "extra-file")), "--force kept the old folder's files")
    check(json.load(open(marker))["torch_dtype"] == "bfloat16", "--force did not replace the folder")
    check(sorted(n for n in os.listdir(work) if n.startswith(".")) == [], f"leftovers: {os.listdir(work)}")


def lm_eval_runs(env):
    """lm-evaluation-harness evaluates the exported tiny model on a local
    multiple-choice task (task YAML + jsonl written here, no downloads) and its
    accuracy equals one computed here from the same model's log-likelihoods."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = env.path("hf-lm-eval")
    env.export(env.checkpoint(), out)
    tasks = env.fresh_dir("lm-eval-tasks")
    docs = [
        {"query": "12+5=", "choices": ["17", "71", "3"], "gold": 0},
        {"query": "3*4=", "choices": ["7", "12", "34"], "gold": 1},
        {"query": "40-8=", "choices": ["48", "23", "32"], "gold": 2},
        {"query": "c:abc=", "choices": ["abc", "cba", "bca"], "gold": 0},
        {"query": "r:abc=", "choices": ["abc", "cba", "acb"], "gold": 1},
        {"query": "r:dog=", "choices": ["dog", "odg", "god"], "gold": 2},
        {"query": "([{", "choices": ["}])", ")]}", "]})"], "gold": 0},
        {"query": "the big cat", "choices": [" runs .", " cat .", " the ."], "gold": 0},
    ]
    data = os.path.join(tasks, "synthetic_mc.jsonl")
    with open(data, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    with open(os.path.join(tasks, "moe_synthetic_mc.yaml"), "w") as f:
        f.write(f"""task: moe_synthetic_mc
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{query}}}}"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: gold
target_delimiter: ""
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
""")
    env_vars = dict(os.environ, HF_HOME=env.path("hf-home"), HF_DATASETS_CACHE=env.path("hf-home", "datasets"))
    cmd = [sys.executable, os.path.join(env.repo, "native", "scripts", "lm_eval_run.py"), "--model", out,
           "--tasks", "moe_synthetic_mc", "--include-path", tasks, "--limit", str(len(docs)), "--batch-size", "4",
           "--device", "cpu", "--dtype", "float32", "--offline", "--output", env.path("lm-eval-results.json")]
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env_vars, timeout=1500)
    print(f"  lm-eval took {time.monotonic() - start:.0f} s")
    check(r.returncode == 0, f"lm_eval_run.py exited {r.returncode}:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    acc = summary["results"]["moe_synthetic_mc"]["acc"]
    check(summary["n_samples"]["moe_synthetic_mc"] == len(docs), f"evaluated {summary['n_samples']}")

    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    correct = 0
    for d in docs:
        context = tok(d["query"])["input_ids"]
        scores = []
        for choice in d["choices"]:
            cont = tok(choice)["input_ids"]
            ids = torch.tensor([context + cont])
            with torch.no_grad():
                logp = torch.log_softmax(model(input_ids=ids).logits[0, :-1].float(), dim=-1)
            targets = ids[0, 1:]
            scores.append(logp[len(context) - 1:, :].gather(1, targets[len(context) - 1:, None]).sum().item())
        correct += int(max(range(len(scores)), key=lambda i: (scores[i], -i)) == d["gold"])
    expected = correct / len(docs)
    print(f"  lm-eval acc {acc} (reference from the model's log-likelihoods: {expected})")
    check(abs(acc - expected) < 1e-9, f"lm-eval reports acc {acc}, the model's log-likelihoods give {expected}")


SCENARIOS = {f.__name__: f for f in (
    prepare, fp32_logits_match_moetrain, bf16_export, tokenizer_matches_trainer, errors_leave_nothing_behind,
    lm_eval_runs)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--presets-dir", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    env = Env(args)
    start = time.monotonic()
    try:
        SCENARIOS[args.scenario](env)
    except Failure as e:
        print(f"FAIL {args.scenario}: {e}")
        return 1
    print(f"ok {args.scenario} ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
