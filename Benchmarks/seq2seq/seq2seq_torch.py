"""The model of `wordpipe train-seq2seq` in PyTorch, for a side-by-side speed and quality check.

Same data handling (tokenized line-aligned files, pairs with a side over --max-length tokens
dropped, per-side vocabularies of words seen --min-count times with <pad> <unk> (+ <s> </s> on the
target side)), same network (bidirectional GRU encoder with --hidden units per direction, a
tanh(Linear) bridge per layer to a GRU decoder of 2*hidden units, Luong-style global attention after
the decoder step with the additive (bahdanau), general or dot score, tanh(W_c [c; s]) into the
softmax, dropout on the embeddings and before the output layer), same loss (target NLL summed over
tokens, divided by the sentences of the batch), Adam, global-norm clipping, batches bucketed by
source length (pools of 50 batches sorted by length), and greedy dev BLEU (sacrebleu, on the tokens
joined by spaces) after each epoch. Prints one line per epoch: loss, training seconds, source
tokens/s, dev BLEU.
"""
import argparse
import math
import random
import time
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_pairs(source, target, max_length=None):
    with open(source, encoding="utf-8") as s, open(target, encoding="utf-8") as t:
        src_lines, tgt_lines = s.read().split("\n"), t.read().split("\n")
    if src_lines and src_lines[-1] == "" and tgt_lines and tgt_lines[-1] == "":
        src_lines, tgt_lines = src_lines[:-1], tgt_lines[:-1]
    pairs = []
    for a, b in zip(src_lines, tgt_lines):
        a, b = a.split(), b.split()
        if not a and not b:
            continue
        if max_length and (len(a) > max_length or len(b) > max_length):
            continue
        pairs.append((a, b))
    return pairs


def vocabulary(sentences, min_count, specials):
    counts = Counter(w for s in sentences for w in s)
    order = {}
    for s in sentences:
        for w in s:
            order.setdefault(w, len(order))
    words = sorted((w for w in counts if counts[w] >= min_count), key=lambda w: (-counts[w], order[w]))
    words = specials + [w for w in words if w not in specials]
    return words, {w: i for i, w in enumerate(words)}


@torch.no_grad()
def wordpipe_init(model):
    """The distributions wordpipe draws from (not its random numbers): embeddings U(+-sqrt(3/dim))
    with the padding row zero; GRU W_ih Glorot uniform and W_hh orthogonal per gate block, biases
    zero; Linear weights Glorot uniform, biases zero; the attention vector as before."""
    for emb in (model.src_emb, model.tgt_emb):
        limit = math.sqrt(3 / emb.embedding_dim)
        emb.weight.uniform_(-limit, limit)
        emb.weight[0].zero_()
    for gru in (model.encoder, model.decoder):
        hidden = gru.hidden_size
        for name, parameter in gru.named_parameters():
            if name.startswith("bias"):
                parameter.zero_()
                continue
            for block in parameter.split(hidden, dim=0):
                if name.startswith("weight_ih"):
                    nn.init.xavier_uniform_(block)
                else:
                    nn.init.orthogonal_(block)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, dim, hidden, layers, dropout, attention):
        super().__init__()
        self.attention = attention
        self.layers = layers
        size = 2 * hidden
        self.src_emb = nn.Embedding(src_vocab, dim, padding_idx=0)
        self.tgt_emb = nn.Embedding(tgt_vocab, dim, padding_idx=0)
        self.encoder = nn.GRU(dim, hidden, layers, bidirectional=True, dropout=dropout if layers > 1 else 0)
        self.bridges = nn.ModuleList([nn.Linear(size, size) for _ in range(layers)])
        self.decoder = nn.GRU(dim, size, layers, dropout=dropout if layers > 1 else 0)
        if attention == "bahdanau":
            self.query = nn.Linear(size, size)
            self.key = nn.Linear(size, size)
            self.v = nn.Parameter(torch.empty(size).uniform_(-math.sqrt(3 / size), math.sqrt(3 / size)))
        elif attention == "luong-general":
            self.query = nn.Linear(size, size)
        self.combine = nn.Linear(2 * size, size) if attention != "none" else None
        self.output = nn.Linear(size, tgt_vocab)
        self.drop = nn.Dropout(dropout)

    def encode(self, src, src_lengths):
        emb = self.drop(self.src_emb(src))
        packed = nn.utils.rnn.pack_padded_sequence(emb, src_lengths.cpu(), enforce_sorted=False)
        out, h = self.encoder(packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(out)  # S x B x 2H
        h = h.view(self.layers, 2, h.size(1), h.size(2))
        state = torch.stack([torch.tanh(self.bridges[l](torch.cat([h[l, 0], h[l, 1]], dim=-1))) for l in range(self.layers)])
        return memory, state

    def attend(self, states, memory, mask):
        # states: T x B x D, memory: S x B x D, mask: S x B (True at real tokens)
        if self.attention == "none":
            return states, None
        s = states.transpose(0, 1)  # B x T x D
        m = memory.transpose(0, 1)  # B x S x D
        if self.attention == "luong-dot":
            scores = torch.bmm(s, m.transpose(1, 2))
        elif self.attention == "luong-general":
            scores = torch.bmm(s, self.query(m).transpose(1, 2))
        else:
            u = torch.tanh(self.query(s).unsqueeze(2) + self.key(m).unsqueeze(1))  # B x T x S x D
            scores = torch.matmul(u, self.v)
        scores = scores.masked_fill(~mask.t().unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights, m)  # B x T x D
        return torch.tanh(self.combine(torch.cat([context, s], dim=-1))).transpose(0, 1), weights

    def forward(self, src, src_lengths, tgt_in, tgt_lengths):
        memory, state = self.encode(src, src_lengths)
        emb = self.drop(self.tgt_emb(tgt_in))
        packed = nn.utils.rnn.pack_padded_sequence(emb, tgt_lengths.cpu(), enforce_sorted=False)
        out, _ = self.decoder(packed, state)
        states, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=tgt_in.size(0))
        mask = src != 0
        attentional, _ = self.attend(states, memory, mask)
        return self.output(self.drop(attentional))

    @torch.no_grad()
    def greedy(self, src_ids, limit):
        src = torch.tensor(src_ids).unsqueeze(1)
        memory, state = self.encode(src, torch.tensor([len(src_ids)]))
        mask = src != 0
        previous, out = 2, []
        for _ in range(limit + 1):
            emb = self.tgt_emb(torch.tensor([[previous]]))
            step, state = self.decoder(emb, state)
            attentional, _ = self.attend(step, memory, mask)
            logits = self.output(attentional)[0, 0]
            logits[0] = float("-inf")
            logits[2] = float("-inf")
            best = 3 if len(out) >= limit else int(logits.argmax())
            if best == 3:
                break
            out.append(best)
            previous = best
        return out


def batches(lengths, size, rng):
    order = list(range(len(lengths)))
    rng.shuffle(order)
    result = []
    pool = size * 50
    for start in range(0, len(order), pool):
        chunk = sorted(order[start:start + pool], key=lambda i: -lengths[i])
        result += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(result)
    return result


def pad(seqs):
    steps = max(len(s) for s in seqs)
    return torch.tensor([[s[t] if t < len(s) else 0 for s in seqs] for t in range(steps)])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--dev-source", required=True)
    p.add_argument("--dev-target", required=True)
    p.add_argument("--attention", default="bahdanau")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--min-count", type=int, default=1)
    p.add_argument("--max-length", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-dev", action="store_true")
    p.add_argument("--init", choices=["pytorch", "wordpipe"], default="pytorch",
                   help="pytorch: the modules' own defaults; wordpipe: the distributions wordpipe train-seq2seq draws from")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)

    train = read_pairs(args.source, args.target, args.max_length)
    dev = read_pairs(args.dev_source, args.dev_target)
    src_words, src_index = vocabulary([a for a, _ in train], args.min_count, ["<pad>", "<unk>"])
    tgt_words, tgt_index = vocabulary([b for _, b in train], args.min_count, ["<pad>", "<unk>", "<s>", "</s>"])
    src_ids = [[src_index.get(w, 1) for w in a] for a, _ in train]
    tgt_ids = [[tgt_index.get(w, 1) for w in b] for _, b in train]
    print(f"data: {len(train)} pairs, vocabulary {len(src_words)} source, {len(tgt_words)} target", flush=True)
    model = Seq2Seq(len(src_words), len(tgt_words), args.dim, args.hidden, args.layers, args.dropout, args.attention)
    if args.init == "wordpipe":
        wordpipe_init(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    lengths = [len(s) for s in src_ids]
    import sacrebleu
    for epoch in range(1, args.epochs + 1):
        model.train()
        started = time.perf_counter()
        total, tokens = 0.0, 0
        for batch in batches(lengths, args.batch, rng):
            src = pad([src_ids[i] for i in batch])
            tgt_in = pad([[2] + tgt_ids[i] for i in batch])
            gold = pad([tgt_ids[i] + [3] for i in batch])
            gold = gold.masked_fill(gold == 0, -100)
            logits = model(src, torch.tensor([len(src_ids[i]) for i in batch]), tgt_in,
                           torch.tensor([len(tgt_ids[i]) + 1 for i in batch]))
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), gold.view(-1), ignore_index=-100, reduction="sum") / len(batch)
            optimizer.zero_grad()
            loss.backward()
            if args.clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            total += loss.item() * len(batch)
            tokens += sum(lengths[i] for i in batch)
        seconds = time.perf_counter() - started
        bleu = float("nan")
        if not args.no_dev:
            model.eval()
            hyps = []
            for a, _ in dev:
                ids = [src_index.get(w, 1) for w in a][:400]
                out = model.greedy(ids, min(250, int(2.0 * len(ids)) + 5))
                hyps.append(" ".join(tgt_words[i] for i in out))
            bleu = sacrebleu.corpus_bleu(hyps, [[" ".join(b) for _, b in dev]]).score
        print(f"epoch {epoch} loss {total / len(train):.6f} train_s {seconds:.2f} tokens/s {tokens / seconds:.0f} dev_bleu {bleu:.2f}", flush=True)


if __name__ == "__main__":
    main()
