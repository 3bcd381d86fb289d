"""The language model of `wordpipe train-lm` in PyTorch, for Benchmarks/lm/run.sh.

Same data handling and network as `wordpipe train-lm`: with --unit word each line's
whitespace tokens then <eos>; with --unit char each line's Unicode scalars then "\n"; the
vocabulary <pad>, <unk>, then the training tokens in order of appearance; the training text cut into BATCH streams of L = (N - 1) // BATCH tokens
(stream s: inputs data[s*L + t], targets data[s*L + t + 1]), walked in segments of BPTT steps
(the last one shorter), each stream's state carried (detached) from one segment to the next;
nn.Embedding -> nn.LSTM(num_layers) -> nn.Linear -> cross-entropy summed over time and averaged
over the streams (Zaremba et al. 2014); every parameter uniform in +-INIT; plain SGD (no
momentum), the step size kept for DECAY_AFTER epochs then divided by LR_DECAY each epoch;
global-norm clipping (or Adam with --optimizer adam). Valid perplexity with batch 1, the state carried through the whole file,
in chunks of 256 steps (as `wordpipe perplexity`).

With --time-budget S, training stops after the segment at which S seconds of training (the
evaluations not counted) have passed, and that cut epoch is evaluated.

Prints one line per epoch: `epoch E train_s S tokens_per_s T train_ppl P valid_ppl V
valid_nats N` (and `budget_stop` on a cut epoch).
"""
import argparse
import math
import time

import torch
import torch.nn as nn


def tokens(path, unit):
    result = []
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    for line in lines:
        if unit == "char":
            result += list(line[:-1] if line.endswith("\r") else line) + ["\n"]
        else:
            words = line.replace("\t", " ").replace("\r", " ").split(" ")
            words = [w for w in words if w]
            if words:
                result += words + ["<eos>"]
    return result


class LM(nn.Module):
    def __init__(self, vocab, dim, hidden, layers, dropout, tied):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.embedding = nn.Embedding(vocab, dim)
        self.rnn = nn.LSTM(dim, hidden, layers, dropout=dropout if layers > 1 else 0)
        self.decoder = nn.Linear(hidden, vocab)
        if tied:
            self.decoder.weight = self.embedding.weight

    def forward(self, x, state):
        out, state = self.rnn(self.drop(self.embedding(x)), state)
        return self.decoder(self.drop(out)), state


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", required=True)
    p.add_argument("--valid", required=True)
    p.add_argument("--unit", choices=["word", "char"], default="word")
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--time-budget", type=float, default=0, help="stop training after this many seconds (0: none)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--bptt", type=int, default=20)
    p.add_argument("--hidden", type=int, default=200)
    p.add_argument("--dim", type=int, default=200)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--lr-decay", type=float, default=2.0)
    p.add_argument("--decay-after", type=int, default=4)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--init", type=float, default=0.1)
    p.add_argument("--tied", action="store_true")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-segments", type=int, default=0, help="stop each epoch after this many segments (0: all)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train, valid = tokens(args.train, args.unit), tokens(args.valid, args.unit)
    index = {"<pad>": 0, "<unk>": 1}
    for w in train:
        if w not in index:
            index[w] = len(index)
    ids = torch.tensor([index[w] for w in train], dtype=torch.long)
    vids = torch.tensor([index.get(w, 1) for w in valid], dtype=torch.long)
    B, T = args.batch, args.bptt
    L = (len(ids) - 1) // B
    starts = torch.arange(B) * L
    model = LM(len(index), args.dim, args.hidden, args.layers, args.dropout, args.tied)
    for parameter in model.parameters():
        nn.init.uniform_(parameter, -args.init, args.init)
    optimizer = (torch.optim.Adam(model.parameters(), lr=args.lr) if args.optimizer == "adam"
                 else torch.optim.SGD(model.parameters(), lr=args.lr))
    loss_fn = nn.CrossEntropyLoss(reduction="sum")

    def evaluate():
        model.eval()
        total, count, state = 0.0, 0, None
        with torch.no_grad():
            for start in range(0, len(vids) - 1, 256):
                end = min(start + 256, len(vids) - 1)
                x = vids[start:end].view(-1, 1)
                y = vids[start + 1:end + 1]
                logits, state = model(x, state)
                total += loss_fn(logits.view(-1, logits.size(-1)), y).item()
                count += end - start
        return total / count

    trained = 0.0  # seconds of training before this epoch
    for epoch in range(1, args.epochs + 1):
        for group in optimizer.param_groups:
            group["lr"] = args.lr / args.lr_decay ** max(epoch - args.decay_after, 0)
        model.train()
        state = None
        total, count, segments, cut = 0.0, 0, 0, False
        began = time.perf_counter()
        for start in range(0, L, T):
            end = min(start + T, L)
            steps = torch.arange(start, end)
            x = (starts.view(1, B) + steps.view(-1, 1))  # steps x B positions
            inputs, targets = ids[x], ids[x + 1]
            if state is not None:
                state = tuple(s.detach() for s in state)
            model.zero_grad()
            logits, state = model(inputs, state)
            loss = loss_fn(logits.view(-1, logits.size(-1)), targets.view(-1))
            (loss / B).backward()
            if args.clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            total += loss.item()
            count += targets.numel()
            segments += 1
            if args.max_segments and segments >= args.max_segments:
                break
            if args.time_budget and trained + time.perf_counter() - began >= args.time_budget and end < L:
                cut = True
                break
        seconds = time.perf_counter() - began
        trained += seconds
        nats = evaluate()
        print(f"epoch {epoch} train_s {seconds:.2f} tokens_per_s {count / seconds:.0f} train_ppl {math.exp(total / count):.2f} "
              f"valid_ppl {math.exp(nats):.2f} valid_nats {nats:.4f}{' budget_stop' if cut else ''}", flush=True)
        if cut or (args.time_budget and trained >= args.time_budget):
            break


if __name__ == "__main__":
    main()
