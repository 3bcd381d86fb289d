"""PyTorch side of Benchmarks/tagger/run.sh: the BiLSTM tagger of `wordpipe train-tagger`, on CoNLL-2003.

The same model, data handling and training as WordPipe's (see run.sh for the contract):
  data        CoNLL `token ... TAG` lines, blank lines between sentences, -DOCSTART- ignored;
              IOB1 -> IOB2 (an I-X that does not continue X becomes B-X), on train and dev alike.
  vocabulary  0 <pad>, 1 <unk>, then every distinct training token as written (case kept, in order
              of first appearance), then every vector word not already present.
  rows        --init vectors: a vector word's row is its vector; a training token's row is the
              vector of its key NFKC(token).casefold() when the vectors have that key, else
              uniform(-sqrt(3/dim), +sqrt(3/dim)); <unk> = mean of all vectors; <pad> = zeros.
              --init random: every row uniform(-sqrt(3/dim), +sqrt(3/dim)), <pad> zeros; the
              vocabulary is the same (the vectors file still gives the words).
  lookup      the token as written if in the vocabulary, else its key, else <unk>.
  network     Embedding(sparse=True, padding_idx=0, trainable) -> dropout 0.5 -> 1-layer BiLSTM,
              hidden 100 per direction -> dropout 0.5 -> Linear(200 -> tags) -> softmax
              cross-entropy, mean over the real tokens. Everything runs on packed sequences:
              the ids are packed first, so embedding, dropout, LSTM, Linear and loss never see
              padding.
  training    batches of 32 sentences, shuffled each epoch (seeded); Adam lr 0.001 for the dense
              parameters, SparseAdam lr 0.001 for the embedding (lazy row updates); gradient
              clipping by global norm 5. --clip-scope dense (default): the norm is taken over the
              dense parameters only and the sparse embedding gradient is not clipped;
              --clip-scope all: the norm includes the (coalesced) embedding gradient rows and the
              embedding gradient is scaled by the same factor.
  metric      entity micro-F1 with seqeval, default (conlleval-compatible) mode, on the dev set
              after every epoch; the best epoch is kept.
  timing      per epoch: wall clock of the training loop only (batching, forward, backward,
              clipping, optimizer steps; no dev evaluation), and of the dev evaluation apart.

Per-epoch lines go to stderr in the format of `wordpipe train-tagger`:
  epoch 3/10 loss 0.123456 dev_f1 0.876543 train_s 16.40 tokens/s 12345 elapsed_s 45.60 best
One JSON object (the result) goes to stdout.

Usage: python bilstm_torch.py --train TRAIN --dev DEV --vectors VECTORS.txt (word2vec text)
                              [--init vectors|random] [--epochs 10] [--threads 2] [--slice N]
                              [--seed 1] [--clip-scope dense|all] [--eval-batch 32]
"""
import argparse
import json
import math
import random
import statistics
import sys
import time
import unicodedata

import numpy as np
import torch
from torch.nn.utils.rnn import PackedSequence, pack_sequence, pad_packed_sequence
from seqeval.metrics import f1_score, precision_score, recall_score


def read_conll(path, limit=None):
    """Sentences as (tokens, tags): first field the token, last field the tag."""
    sentences, tokens, tags = [], [], []

    def flush():
        if tokens:
            sentences.append((list(tokens), iob1_to_iob2(tags)))
            tokens.clear()
            tags.clear()

    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if not fields:
                flush()
                if limit is not None and len(sentences) >= limit:
                    break
                continue
            if fields[0] == "-DOCSTART-":
                flush()
                continue
            tokens.append(fields[0])
            tags.append(fields[-1])
    flush()
    return sentences[:limit] if limit is not None else sentences


def iob1_to_iob2(tags):
    out = []
    for i, tag in enumerate(tags):
        if tag.startswith("I-"):
            previous = out[i - 1] if i > 0 else "O"
            if previous == "O" or previous[2:] != tag[2:]:
                tag = "B-" + tag[2:]
        out.append(tag)
    return out


def read_word2vec_text(path):
    with open(path, encoding="utf-8") as f:
        count, dim = (int(v) for v in f.readline().split())
        words, matrix = [], np.empty((count, dim), dtype=np.float32)
        for i, line in enumerate(f):
            parts = line.rstrip().split(" ")
            words.append(" ".join(parts[:-dim]))
            matrix[i] = np.asarray(parts[-dim:], dtype=np.float32)
    assert len(words) == count, f"{path}: {len(words)} vectors, header says {count}"
    return words, matrix


def key(token):
    return unicodedata.normalize("NFKC", token).casefold()


class Tagger(torch.nn.Module):
    def __init__(self, embeddings, hidden, tags, dropout):
        super().__init__()
        self.embedding = torch.nn.Embedding.from_pretrained(
            torch.from_numpy(embeddings), freeze=False, sparse=True, padding_idx=0)
        self.dropout = torch.nn.Dropout(dropout)
        self.lstm = torch.nn.LSTM(embeddings.shape[1], hidden, num_layers=1, bidirectional=True)
        self.output = torch.nn.Linear(2 * hidden, tags)

    def forward(self, packed_ids):
        """Logits for packed_ids.data, in the packed order."""
        x = self.dropout(self.embedding(packed_ids.data))
        out, _ = self.lstm(packed_ids._replace(data=x))
        return self.output(self.dropout(out.data))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--dev", required=True)
    parser.add_argument("--vectors", required=True, help="word2vec text file")
    parser.add_argument("--init", choices=["vectors", "random"], default="vectors")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--slice", type=int, default=None, help="first N training sentences only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--eval-batch", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--clip-scope", choices=["dense", "all"], default="dense")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    shuffler = random.Random(args.seed)

    load_start = time.perf_counter()
    train = read_conll(args.train, args.slice)
    dev = read_conll(args.dev)
    vector_words, vectors = read_word2vec_text(args.vectors)
    dim = vectors.shape[1]
    vector_index = {w: i for i, w in enumerate(vector_words)}

    # Vocabulary: <pad>, <unk>, training tokens as written (first appearance), vector words.
    itos = ["<pad>", "<unk>"]
    stoi = {"<pad>": 0, "<unk>": 1}
    for tokens, _ in train:
        for t in tokens:
            if t not in stoi:
                stoi[t] = len(itos)
                itos.append(t)
    training_types = len(itos) - 2
    for w in vector_words:
        if w not in stoi:
            stoi[w] = len(itos)
            itos.append(w)

    scale = math.sqrt(3.0 / dim)
    embeddings = rng.uniform(-scale, scale, size=(len(itos), dim)).astype(np.float32)
    initialized_from_vectors = 0
    if args.init == "vectors":
        for i, word in enumerate(itos[2:], start=2):
            row = vector_index.get(word) if i >= 2 + training_types else vector_index.get(key(word))
            if row is not None:
                embeddings[i] = vectors[row]
                initialized_from_vectors += 1
        embeddings[1] = vectors.mean(axis=0)
    embeddings[0] = 0.0

    tag_list = sorted({tag for _, tags in train for tag in tags} | {tag for _, tags in dev for tag in tags})
    tag_index = {tag: i for i, tag in enumerate(tag_list)}

    def lookup(token):
        i = stoi.get(token)
        if i is None:
            i = stoi.get(key(token), 1)
        return i

    def encode(sentences):
        return [(torch.tensor([lookup(t) for t in tokens]), torch.tensor([tag_index[g] for g in tags]))
                for tokens, tags in sentences]

    train_data, dev_data = encode(train), encode(dev)

    def oov(sentences):
        tokens = [t for ts, _ in sentences for t in ts]
        missing = sum(1 for t in tokens if key(t) not in vector_index)
        types = {t for t in tokens}
        missing_types = sum(1 for t in types if key(t) not in vector_index)
        return {"tokens": len(tokens), "oov_tokens": missing, "oov_rate": missing / len(tokens),
                "types": len(types), "oov_types": missing_types, "oov_type_rate": missing_types / len(types)}

    oov_train, oov_dev = oov(train), oov(dev)
    oov_all = (oov_train["oov_tokens"] + oov_dev["oov_tokens"]) / (oov_train["tokens"] + oov_dev["tokens"])
    dev_unk = sum(int((ids == 1).sum()) for ids, _ in dev_data) / oov_dev["tokens"]
    load_s = time.perf_counter() - load_start
    print(f"pytorch: {len(train)} train sentences ({oov_train['tokens']} tokens), {len(dev)} dev sentences "
          f"({oov_dev['tokens']} tokens), vocabulary {len(itos)} ({training_types} training types, "
          f"{initialized_from_vectors} rows from vectors), {len(tag_list)} tags; OOV (key not a vector word) "
          f"train {oov_train['oov_rate']:.2%}, dev {oov_dev['oov_rate']:.2%}, both {oov_all:.2%}; "
          f"dev tokens -> <unk> {dev_unk:.2%}; loaded in {load_s:.1f} s", file=sys.stderr)

    model = Tagger(embeddings, args.hidden, len(tag_list), args.dropout)
    dense = [p for name, p in model.named_parameters() if not name.startswith("embedding.")]
    adam = torch.optim.Adam(dense, lr=args.lr)
    sparse_adam = torch.optim.SparseAdam([model.embedding.weight], lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="mean")

    def clip():
        norms = [p.grad.detach().pow(2).sum() for p in dense if p.grad is not None]
        total = sum(norms)
        embedding_grad = model.embedding.weight.grad
        if args.clip_scope == "all" and embedding_grad is not None:
            embedding_grad = embedding_grad.coalesce()
            model.embedding.weight.grad = embedding_grad
            total = total + embedding_grad.values().pow(2).sum()
        total = float(total) ** 0.5
        if total > args.clip:
            coefficient = args.clip / (total + 1e-6)
            for p in dense:
                if p.grad is not None:
                    p.grad.mul_(coefficient)
            if args.clip_scope == "all" and embedding_grad is not None:
                model.embedding.weight.grad = embedding_grad * coefficient
        return total

    def evaluate():
        model.eval()
        gold, predicted = [], []
        with torch.no_grad():
            for start in range(0, len(dev_data), args.eval_batch):
                chunk = dev_data[start:start + args.eval_batch]
                packed = pack_sequence([ids for ids, _ in chunk], enforce_sorted=False)
                best = model(packed).argmax(dim=1)
                padded, lengths = pad_packed_sequence(packed._replace(data=best), batch_first=True)
                for row, length, (_, tags) in zip(padded.tolist(), lengths.tolist(), chunk):
                    predicted.append([tag_list[i] for i in row[:length]])
                    gold.append([tag_list[i] for i in tags.tolist()])
        model.train()
        return {"f1": f1_score(gold, predicted, zero_division=0),
                "precision": precision_score(gold, predicted, zero_division=0),
                "recall": recall_score(gold, predicted, zero_division=0)}

    train_tokens = oov_train["tokens"]
    epochs = []
    best = None
    run_start = time.perf_counter()
    model.train()
    for epoch in range(1, args.epochs + 1):
        order = list(range(len(train_data)))
        shuffler.shuffle(order)
        loss_sum, clipped = 0.0, 0
        start = time.perf_counter()
        for b in range(0, len(order), args.batch):
            chunk = [train_data[i] for i in order[b:b + args.batch]]
            packed = pack_sequence([ids for ids, _ in chunk], enforce_sorted=False)
            gold = pack_sequence([tags for _, tags in chunk], enforce_sorted=False).data
            adam.zero_grad(set_to_none=True)
            sparse_adam.zero_grad(set_to_none=True)
            loss = loss_fn(model(packed), gold)
            loss.backward()
            if args.clip > 0 and clip() > args.clip:
                clipped += 1
            adam.step()
            sparse_adam.step()
            loss_sum += loss.item() * gold.numel()
        train_s = time.perf_counter() - start
        eval_start = time.perf_counter()
        scores = evaluate()
        eval_s = time.perf_counter() - eval_start
        elapsed = time.perf_counter() - run_start
        is_best = best is None or scores["f1"] > best["dev_f1"]
        record = {"epoch": epoch, "loss": loss_sum / train_tokens, "dev_f1": scores["f1"],
                  "dev_precision": scores["precision"], "dev_recall": scores["recall"], "train_s": train_s,
                  "eval_s": eval_s, "tokens_per_s": train_tokens / train_s, "clipped_batches": clipped}
        epochs.append(record)
        if is_best:
            best = record
        print(f"epoch {epoch}/{args.epochs} loss {record['loss']:.6f} dev_f1 {scores['f1']:.6f} "
              f"train_s {train_s:.2f} tokens/s {train_tokens / train_s:.0f} elapsed_s {elapsed:.2f}"
              + (" best" if is_best else ""), file=sys.stderr)

    median_train = statistics.median(e["train_s"] for e in epochs)
    print(json.dumps({
        "system": "pytorch", "version": f"torch {torch.__version__}", "init": args.init,
        "threads": torch.get_num_threads(), "epochs": args.epochs, "slice": args.slice,
        "train_sentences": len(train), "train_tokens": train_tokens, "dev_sentences": len(dev),
        "dev_tokens": oov_dev["tokens"], "vocabulary": len(itos), "training_types": training_types,
        "rows_from_vectors": initialized_from_vectors, "tags": len(tag_list),
        "oov": {"train": oov_train, "dev": oov_dev, "both_rate": oov_all, "dev_unk_rate": dev_unk},
        "clip_scope": args.clip_scope, "batch": args.batch, "eval_batch": args.eval_batch,
        "best_dev_f1": best["dev_f1"], "best_dev_precision": best["dev_precision"],
        "best_dev_recall": best["dev_recall"], "best_epoch": best["epoch"],
        "median_train_s": median_train, "median_eval_s": statistics.median(e["eval_s"] for e in epochs),
        "median_tokens_per_s": train_tokens / median_train, "total_s": time.perf_counter() - run_start,
        "per_epoch": epochs,
    }))


if __name__ == "__main__":
    main()
