"""PyTorch side of Benchmarks/recurrent/run.sh: forward + backward of one LSTM batch on the CPU.

Same sizes, lengths and loss as the Swift side (Tests/RecurrentTests/BenchmarkTests.swift):
time-major input of `max(lengths)` steps, the batch packed with pack_padded_sequence so that
PyTorch, too, skips the padding, loss = sum(output * R). Prints one JSON line.

Usage: python lstm_torch.py --threads N --batch B --input I --hidden H --bidirectional 0|1
                            --lengths l1,l2,... --reps R --warmup W
"""
import argparse
import json
import statistics
import time

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--input", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--bidirectional", type=int, default=1)
    parser.add_argument("--lengths", required=True)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    lengths = [int(v) for v in args.lengths.split(",")]
    assert len(lengths) == args.batch, "one length per sequence"
    steps = max(lengths)
    lstm = torch.nn.LSTM(args.input, args.hidden, bidirectional=bool(args.bidirectional))
    x = torch.randn(steps, args.batch, args.input, requires_grad=True)
    r = torch.randn(steps, args.batch, args.hidden * (2 if args.bidirectional else 1))
    length_tensor = torch.tensor(lengths)
    packed_needed = min(lengths) != steps

    times = []
    for repetition in range(args.warmup + args.reps):
        start = time.perf_counter()
        lstm.zero_grad(set_to_none=False)
        x.grad = None
        if packed_needed:
            packed = pack_padded_sequence(x, length_tensor, enforce_sorted=False)
            out, _ = pad_packed_sequence(lstm(packed)[0], total_length=steps)
        else:
            out, _ = lstm(x)
        (out * r).sum().backward()
        elapsed = time.perf_counter() - start
        if repetition >= args.warmup:
            times.append(elapsed)
    median = statistics.median(times)
    tokens = sum(lengths)
    print(json.dumps({
        "system": "pytorch", "threads": torch.get_num_threads(), "blas": f"torch {torch.__version__} (MKL, oneDNN)",
        "batch": args.batch, "input": args.input, "hidden": args.hidden, "bidirectional": bool(args.bidirectional),
        "steps": steps, "tokens": tokens, "median_s": median, "min_s": min(times), "tokens_per_s": tokens / median,
    }))


if __name__ == "__main__":
    main()
