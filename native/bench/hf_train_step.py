#!/usr/bin/env python3
"""Hugging Face transformers' JetMoE training step, timed, for the side-by-side with moetrain.

Builds JetMoeForCausalLM from a moetrain preset (the preset's flags file, with --num-layers
overriding its depth), with randomly initialised weights in the given dtype, and times full
training steps on random token ids: forward with the router auxiliary loss, backward, gradient
clipping at 1.0 and torch.optim.AdamW (fused on CUDA), with --grad-accum micro-batches per step. Prints one line and writes a JSON record:
tokens/s (median over the timed steps), step time, peak memory and, with --flops-per-token and a
peak rate, MFU computed exactly as moetrain computes it.

usage: hf_train_step.py --preset-file resources/presets/jetmoe-8b.flags --num-layers 4 \
         --micro-batch-size 2 --seq-len 4096 --steps 12 --device cuda --dtype bfloat16 --out hf.json
"""

import argparse
import json
import statistics
import sys
import time


def read_flags(path: str) -> dict:
    flags = {}
    with open(path) as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if line.startswith("--") and "=" in line:
                k, v = line[2:].split("=", 1)
                flags[k] = v
    return flags


def hf_config(flags: dict, layers: int, seq_len: int):
    from transformers import JetMoeConfig

    return JetMoeConfig(
        vocab_size=int(flags["vocab-size"]),
        hidden_size=int(flags["hidden-size"]),
        num_hidden_layers=layers,
        num_key_value_heads=int(flags["num-kv-heads"]),
        kv_channels=int(flags["head-dim"]),
        intermediate_size=int(flags["intermediate-size"]),
        num_local_experts=int(flags["num-experts"]),
        num_experts_per_tok=int(flags["top-k"]),
        max_position_embeddings=max(seq_len, int(flags.get("max-seq-len", seq_len))),
        rms_norm_eps=float(flags.get("rms-norm-eps", "1e-6")),
        aux_loss_coef=float(flags.get("aux-loss-coef", "0.01")),
        output_router_logits=True,
        tie_word_embeddings=flags.get("tie-embeddings", "true") == "true",
        use_cache=False,
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset-file", required=True, help="a moetrain preset (resources/presets/NAME.flags)")
    p.add_argument("--num-layers", type=int, required=True)
    p.add_argument("--micro-batch-size", type=int, default=2)
    p.add_argument("--grad-accum", type=int, default=1, help="micro-batches per optimizer step")
    p.add_argument("--seq-len", type=int, default=4096)
    p.add_argument("--steps", type=int, default=12, help="timed steps, after --warmup")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="bfloat16")
    p.add_argument("--attn", default="sdpa", help="transformers attention implementation (sdpa, eager)")
    p.add_argument("--flops-per-token", type=float, default=0.0, help="moetrain params --json: flops_per_token.total")
    p.add_argument("--peak-flops", type=float, default=0.0, help="peak FLOP/s of the device, for MFU")
    p.add_argument("--out", help="write the result as JSON here")
    args = p.parse_args()

    import torch
    from transformers import JetMoeForCausalLM

    result = {"impl": "transformers JetMoeForCausalLM", "layers": args.num_layers,
              "micro_batch": args.micro_batch_size, "grad_accum": args.grad_accum, "seq_len": args.seq_len, "device": args.device,
              "dtype": args.dtype, "attn": args.attn, "status": "started"}

    def write():
        if args.out:
            with open(args.out, "w") as f:
                json.dump(result, f, indent=1)

    write()
    try:
        import transformers
        result["transformers"] = transformers.__version__
        result["torch"] = torch.__version__
        dtype = torch.bfloat16 if args.dtype == "bfloat16" else torch.float32
        device = torch.device(args.device)
        config = hf_config(read_flags(args.preset_file), args.num_layers, args.seq_len)
        config._attn_implementation = args.attn
        torch.manual_seed(0)
        model = JetMoeForCausalLM(config).to(device=device, dtype=dtype)
        model.train()
        fused = device.type == "cuda"
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=fused)
        gen = torch.Generator(device="cpu").manual_seed(1)
        tokens = args.micro_batch_size * args.seq_len * args.grad_accum

        def sync():
            if device.type == "cuda":
                torch.cuda.synchronize(device)

        times = []
        loss_value = None
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        for i in range(args.warmup + args.steps):
            batches = [torch.randint(0, config.vocab_size, (args.micro_batch_size, args.seq_len), generator=gen)
                       .to(device) for _ in range(args.grad_accum)]
            sync()
            t0 = time.perf_counter()
            for ids in batches:
                out = model(input_ids=ids, labels=ids)
                (out.loss / args.grad_accum).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            sync()
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
            loss_value = float(out.loss.detach())
        step_s = statistics.median(times)
        result.update({"status": "ok", "step_s": step_s, "tokens_per_s": tokens / step_s, "loss": loss_value,
                       "params": sum(p.numel() for p in model.parameters()), "timed_steps": len(times)})
        if device.type == "cuda":
            result["peak_mem_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
        if args.flops_per_token > 0 and args.peak_flops > 0:
            result["mfu"] = result["tokens_per_s"] * args.flops_per_token / args.peak_flops
    except Exception as exc:  # the result file says what failed; the caller reads it
        result.update({"status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        write()
        print(f"hf_train_step: failed: {result['error']}", file=sys.stderr)
        return 1
    write()
    mfu = f", MFU {result['mfu']:.1%}" if "mfu" in result else ""
    mem = f", peak memory {result['peak_mem_gib']:.1f} GiB" if "peak_mem_gib" in result else ""
    print(f"hf_train_step: transformers {result['transformers']}, {args.num_layers} layers, "
          f"{args.micro_batch_size} x {args.seq_len} tokens x {args.grad_accum} accum: {result['tokens_per_s']:.0f} tokens/s "
          f"({step_s * 1e3:.1f} ms/step){mfu}{mem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
