#!/usr/bin/env python3
"""Runs lm-evaluation-harness on an exported model folder and prints its scores
as one JSON line (docs/export.md, "Evaluating with lm-evaluation-harness").

usage: lm_eval_run.py --model DIR --tasks T1[,T2] [--include-path DIR] [--limit N]
                      [--num-fewshot N] [--batch-size N] [--device cpu|cuda]
                      [--dtype auto|float32|bfloat16] [--output FILE] [--offline]

This calls lm_eval.simple_evaluate, the API behind the `lm_eval` command, with
the same model arguments (`--model hf --model_args pretrained=DIR,dtype=...`).
It exists because the command also prints a Markdown table that needs the
optional `pytablewriter` package, which offline package stores may lack.

The last line of stdout is {"model": DIR, "lm_eval": VERSION, "results":
{TASK: {METRIC: VALUE, ...}}, "n_samples": {TASK: N}}; metric names are
lm-eval's without the ",none" filter suffix (acc, acc_norm, acc_stderr, ...).
--output writes lm-eval's complete results dictionary as JSON.
"""

import argparse
import json
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="exported model folder (config.json, model.safetensors, tokenizer)")
    parser.add_argument("--tasks", required=True, help="comma-separated lm-eval task names")
    parser.add_argument("--include-path", help="folder with extra task YAML files")
    parser.add_argument("--limit", type=float, help="documents per task (or a fraction)")
    parser.add_argument("--num-fewshot", type=int)
    parser.add_argument("--batch-size", default="1")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--output", help="write lm-eval's full results here (JSON)")
    parser.add_argument("--offline", action="store_true",
                        help="never touch the network (HF_HUB_OFFLINE, HF_DATASETS_OFFLINE, TRANSFORMERS_OFFLINE)")
    args = parser.parse_args()

    if args.offline:
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
            os.environ[var] = "1"
    try:
        import lm_eval
        from lm_eval.tasks import TaskManager
    except ImportError as exc:
        print(f"lm_eval_run: lm-evaluation-harness is not importable ({exc}); "
              "install it with: bash native/scripts/python_env.sh ensure --for eval", file=sys.stderr)
        return 2

    task_manager = TaskManager(include_path=args.include_path) if args.include_path else TaskManager()
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={os.path.abspath(args.model)},dtype={args.dtype}",
        tasks=args.tasks.split(","),
        num_fewshot=args.num_fewshot,
        batch_size=args.batch_size,
        device=args.device,
        limit=args.limit,
        task_manager=task_manager,
    )
    if results is None:  # non-zero ranks of a distributed run
        return 0
    if args.output:
        with open(args.output, "w") as f:
            json.dump(results, f, indent=2, default=str)
    summary = {"model": os.path.abspath(args.model), "lm_eval": getattr(lm_eval, "__version__", None),
               "results": {}, "n_samples": {}}
    for task, metrics in results["results"].items():
        summary["results"][task] = {
            key.split(",")[0]: value for key, value in metrics.items()
            if key not in ("alias", "name", "sample_len") and isinstance(value, (int, float))
        }
    for task, counts in results.get("n-samples", {}).items():
        summary["n_samples"][task] = counts.get("effective")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
