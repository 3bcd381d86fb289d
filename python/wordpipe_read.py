#!/usr/bin/env python3
"""Read WordPipe's native files from Python, with numpy only.

    from wordpipe_read import read_vectors, read_header
    words, counts, matrix = read_vectors("vectors.wpv")   # matrix: numpy.memmap, float32, rows x dim
    header = read_header("model.wpm")                      # dict: kind, magic, version, fields

Command line:

    python3 wordpipe_read.py FILE                          # the header of any WordPipe file, as JSON
    python3 wordpipe_read.py V.wpv --word2vec-text OUT     # vectors as word2vec text (OUT or - for stdout)
    python3 wordpipe_read.py V.wpv --verify                # also check the rows' CRC-32C (slow: pure Python)

The layouts are specified in FORMATS.md beside this folder. Every file is little-endian. The
header's CRC-32C (vectors, encoded corpus, model) is always checked; the payload's (rows, ids,
weights) only with `verify=True` / `--verify`, since CRC-32C in pure Python runs at about
2 to 3 MB/s on this project's 2-core machine (WordPipe itself checks every payload on every load).
"""

import argparse
import json
import mmap
import os
import struct
import sys

import numpy as np

__all__ = ["WordPipeFormatError", "read_vectors", "read_header", "write_word2vec_text", "crc32c"]


class WordPipeFormatError(ValueError):
    """A file that is not what it claims to be, or is damaged; the message names the file."""


# ---------------------------------------------------------------- CRC-32C (Castagnoli, reflected)

def _make_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _make_table()


def crc32c(data, crc=0):
    """CRC-32C of `data` (bytes-like), continuing from `crc` (the result of an earlier call)."""
    table = _TABLE
    c = crc ^ 0xFFFFFFFF
    for byte in memoryview(data).cast("B"):
        c = table[(c ^ byte) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ---------------------------------------------------------------- helpers

MAGICS = {
    b"WPVECTRS": "vectors",
    b"WPCORPUS": "encoded corpus",
    b"WPMODEL\0": "model",
    b"WPRNNPAR": "parameters",
}


def _fail(path, message):
    raise WordPipeFormatError(f"{path}: {message}")


def _check_crc(path, part, computed, stored):
    if computed != stored:
        _fail(path, f"damaged {part}: its CRC-32C is {computed:08x}, the file records {stored:08x}")


def _map(path):
    """The file's bytes, memory-mapped read-only (an empty bytes object for an empty file)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


# ---------------------------------------------------------------- vectors (.wpv)

def _vector_layout(path, data):
    if len(data) < 40:
        _fail(path, f"truncated: {len(data)} bytes, shorter than the header")
    if data[:8] != b"WPVECTRS":
        _fail(path, "not a WordPipe vector file (wrong magic number)")
    version, dim, rows, json_length, offset = struct.unpack_from("<IIQQQ", data, 8)
    if not 1 <= version <= 2:
        _fail(path, f"vector format version {version}; this reader knows versions 1 and 2")
    fixed = 48 if version >= 2 else 40
    if len(data) < fixed or json_length > offset - fixed or offset > len(data):
        _fail(path, f"damaged header: {json_length} bytes of JSON and rows at byte {offset} do not fit a file of {len(data)} bytes")
    layout = {"version": version, "dim": dim, "rows": rows, "json_length": json_length, "matrix_offset": offset}
    if version >= 2:
        rows_crc, header_crc = struct.unpack_from("<II", data, 40)
        _check_crc(path, "header", crc32c(data[fixed:offset], crc32c(data[:44])), header_crc)
        layout["rows_crc32c"] = rows_crc
        layout["header_crc32c"] = header_crc
    if dim == 0 or len(data) != offset + rows * dim * 4:
        _fail(path, f"truncated or damaged: {len(data)} bytes, the header promises {offset + rows * dim * 4} "
                    f"({rows} x {dim} floats from byte {offset})")
    try:
        header = json.loads(bytes(data[fixed:fixed + json_length]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        _fail(path, f"damaged header: {error}")
    if len(header.get("words", ())) != rows or len(header.get("counts", ())) != rows:
        _fail(path, f"header lists {len(header.get('words', ()))} words and {len(header.get('counts', ()))} counts for {rows} rows")
    return layout, header


def read_vectors(path, verify=False):
    """Reads a native vector file (.wpv).

    Returns (words, counts, matrix): the words (list of str) and their corpus counts (list of
    int) in row order, and a read-only numpy.memmap of shape (rows, dim), dtype little-endian
    float32, over the file's rows in place. The header's CRC-32C is checked; with `verify`, the
    rows' too (pure Python, a few MB/s). Raises WordPipeFormatError naming the file.
    """
    data = _map(path)
    try:
        layout, header = _vector_layout(path, data)
        if verify and "rows_crc32c" in layout:
            _check_crc(path, "rows", crc32c(data[layout["matrix_offset"]:]), layout["rows_crc32c"])
    finally:
        if isinstance(data, mmap.mmap):
            data.close()
    if layout["rows"] == 0:  # nothing to map (mmap refuses an empty range)
        return header["words"], header["counts"], np.zeros((0, layout["dim"]), dtype="<f4")
    matrix = np.memmap(path, dtype="<f4", mode="r", offset=layout["matrix_offset"], shape=(layout["rows"], layout["dim"]))
    return header["words"], header["counts"], matrix


def write_word2vec_text(words, matrix, out):
    """Writes vectors as word2vec text (`V D`, then `word v1 ... vD` per line) to a text stream.

    Values are printed with the shortest repr that reads back to the same float32 (numpy's
    float32 repr, as WordPipe's own `convert --format word2vec-text` does).
    """
    rows, dim = matrix.shape
    out.write(f"{rows} {dim}\n")
    for index, word in enumerate(words):
        row = matrix[index]
        out.write(word + " " + " ".join(_float32_text(value) for value in row) + "\n")


def _float32_text(value):
    """The shortest text that reads back to the same float32, laid out as Swift's
    `Float.description` (WordPipe's writer): positional between 1e-4 and 2^24, else exponential."""
    value = np.float32(value)
    if not np.isfinite(value):
        return str(value)
    scientific = np.format_float_scientific(value, unique=True, trim="-")
    exponent = int(scientific.rsplit("e", 1)[1])
    if value != 0 and (exponent < -4 or abs(value) > 16777216):
        return scientific
    return np.format_float_positional(value, unique=True, trim="0")


# ---------------------------------------------------------------- headers of every file

def _vectors_header(path, data):
    layout, header = _vector_layout(path, data)
    fields = {
        "words": layout["rows"], "dim": layout["dim"], "special_tokens": header.get("specialCount"),
        "corpus_tokens": sum(header["counts"]), "matrix_offset": layout["matrix_offset"],
        "tokenizer": header.get("tokenizer"), "training": header.get("training"),
    }
    return layout, fields


def _corpus_header(path, data):
    if len(data) < 64:
        _fail(path, f"not an encoded corpus: {len(data)} bytes is shorter than the 64-byte header")
    (version, flags, fingerprint, vocabulary, tokens, sentences,
     ids_crc, unknown, reserved, header_crc) = struct.unpack_from("<IIQQQQIIII", data, 8)
    if not 1 <= version <= 2:
        _fail(path, f"encoded corpus format version {version}; this reader knows versions 1 and 2")
    layout = {"version": version, "ids_checksum": ids_crc, "ids_checksum_algorithm": "CRC-32C" if version >= 2 else "CRC-32"}
    if version >= 2:
        _check_crc(path, "header", crc32c(data[:60]), header_crc)
        layout["header_crc32c"] = header_crc
    payload = len(data) - 64
    if payload % 4 or tokens + sentences != payload // 4:
        _fail(path, f"truncated or damaged: {len(data)} bytes, but the header promises {tokens} ids and {sentences} sentence ends")
    fields = {
        "tokens": tokens, "sentences": sentences, "vocabulary_size": vocabulary,
        "vocabulary_fingerprint": f"{fingerprint:x}",
        "unknown_words": f"mapped to id {unknown}" if flags & 1 else "dropped",
    }
    return layout, fields


def _parameter_structure(path, data, start=0):
    """The entries of parameter-file bytes data[start:]: (layout, [{"name", "rows", "columns"}])."""
    end = len(data)
    if end - start < 20 or data[start:start + 8] != b"WPRNNPAR":
        _fail(path, "not a WordPipe parameter file (wrong magic number)")
    version, width, count = struct.unpack_from("<III", data, start + 8)
    if not 1 <= version <= 2 or width not in (4, 8):
        _fail(path, f"parameter file version {version} with {width}-byte values; this reader knows versions 1 and 2, 4 or 8 bytes")
    layout = {"version": version, "value_bytes": width}
    if version >= 2:
        end -= 4
        layout["crc32c"] = struct.unpack_from("<I", data, end)[0]
    offset, entries = start + 20, []
    for _ in range(count):
        if offset + 4 > end:
            _fail(path, f"truncated at byte {end} while reading a name length")
        (length,) = struct.unpack_from("<I", data, offset)
        offset += 4
        if offset + length + 16 > end:
            _fail(path, f"truncated at byte {end} while reading a name and shape")
        name = bytes(data[offset:offset + length]).decode("utf-8", "replace")
        rows, columns = struct.unpack_from("<QQ", data, offset + length)
        offset += length + 16 + rows * columns * width
        if offset > end:
            _fail(path, f"truncated or damaged: '{name}' of {rows} x {columns} runs past the end")
        entries.append({"name": name, "rows": rows, "columns": columns})
    if offset != end:
        _fail(path, f"{end - offset} unexpected bytes after the last parameter")
    return layout, entries


def _parameters_header(path, data, verify):
    layout, entries = _parameter_structure(path, data)
    if verify and "crc32c" in layout:
        _check_crc(path, "parameters", crc32c(data[:len(data) - 4]), layout["crc32c"])
    return layout, {"parameters": entries}


def _model_header(path, data, verify):
    if len(data) < 20:
        _fail(path, f"truncated: {len(data)} bytes")
    version, length = struct.unpack_from("<IQ", data, 8)
    if not 1 <= version <= 3:
        _fail(path, f"model format version {version}; this reader knows versions 1 to 3")
    start = 28 if version >= 2 else 20
    if start + length > len(data):
        _fail(path, f"truncated or damaged: a header of {length} bytes does not fit the {len(data)} bytes of the file")
    end = start + length
    layout = {"version": version}
    if version >= 2:
        weights_crc, header_crc = struct.unpack_from("<II", data, 20)
        _check_crc(path, "header", crc32c(data[start:end], crc32c(data[:24])), header_crc)
        layout["header_crc32c"], layout["weights_crc32c"] = header_crc, weights_crc
        if verify:
            _check_crc(path, "weights", crc32c(data[end:]), weights_crc)
    try:
        header = json.loads(bytes(data[start:end]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        _fail(path, f"unreadable header: {error}")
    task = header.get("task")
    task_type = task.get("type") if isinstance(task, dict) else task  # versions 1 and 2: "task": "tagger"
    weights_layout, entries = _parameter_structure(path, data, end)
    fields = {
        "task": task_type, "words": len(header.get("words", ())), "labels": header.get("labels"),
        "header": header, "weights": {"version": weights_layout["version"], "parameters": entries},
    }
    return layout, fields


def read_header(path, verify=False):
    """The header of any WordPipe artifact, as a dict.

    Binary files are recognised by their magic (vectors, encoded corpus, model, parameters); a
    directory with a `latest` file is a checkpoint directory; a JSON side file by its `kind`; a
    `word<TAB>count` file is a vocabulary. The result has `path`, `kind`, and for binary files
    `magic`, `version`, `layout` (fixed fields, and the stored checksums as 8 hex digits) and
    `fields`.
    """
    if os.path.isdir(path):
        return _checkpoint_header(path)
    data = _map(path)
    try:
        magic = bytes(data[:8])
        kind = MAGICS.get(magic)
        if kind == "vectors":
            layout, fields = _vectors_header(path, data)
            if verify and "rows_crc32c" in layout:
                _check_crc(path, "rows", crc32c(data[layout["matrix_offset"]:]), layout["rows_crc32c"])
        elif kind == "encoded corpus":
            layout, fields = _corpus_header(path, data)
            if verify and layout["version"] >= 2:
                _check_crc(path, "ids", crc32c(data[64:]), layout["ids_checksum"])
        elif kind == "model":
            layout, fields = _model_header(path, data, verify)
        elif kind == "parameters":
            layout, fields = _parameters_header(path, data, verify)
        else:
            return _text_header(path, data)
        version = layout.pop("version")
        # Checksums as `wordpipe inspect` shows them: 8 hex digits.
        layout = {key: f"{value:08x}" if key.endswith("crc32c") or key == "ids_checksum" else value for key, value in layout.items()}
        return {"path": path, "kind": kind, "magic": magic.decode("ascii").rstrip("\0"), "version": version,
                "layout": layout, "fields": fields}
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def _checkpoint_header(path):
    latest = os.path.join(path, "latest")
    if not os.path.isfile(latest):
        _fail(path, "a directory, but not a WordPipe checkpoint directory (no 'latest' file)")
    with open(latest, encoding="utf-8") as f:
        step = f.read().strip()
    if not step.startswith("step-") or "/" in step:
        _fail(latest, f"'{step}' is not a checkpoint step name")
    with open(os.path.join(path, step, "state.json"), encoding="utf-8") as f:
        state = json.load(f)
    files = sorted(name for name in os.listdir(os.path.join(path, step)) if name != "state.json")
    return {"path": path, "kind": "checkpoint directory", "step": step, "files": files, "state": state}


def _text_header(path, data):
    head = bytes(data[:1 << 16])
    if head.lstrip().startswith(b"{"):
        try:
            document = json.loads(bytes(data).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            _fail(path, f"neither a WordPipe binary file (magic {head[:8]!r}) nor readable JSON: {error}")
        kind = document.get("kind") if isinstance(document, dict) else None
        if not kind:
            _fail(path, "JSON without a WordPipe 'kind' field")
        return {"path": path, "kind": kind, "version": document.get("version"), "fields": document}
    first = head.split(b"\n", 1)[0]
    parts = first.split(b"\t")
    if len(parts) == 2 and parts[1].strip().isdigit():
        side = path + ".json"
        info = None
        if os.path.isfile(side):
            with open(side, encoding="utf-8") as f:
                info = json.load(f)
        lines = bytes(data).count(b"\n")
        return {"path": path, "kind": "vocabulary (tsv)", "fields": {"words": lines, "side_file": info}}
    _fail(path, f"not a WordPipe file (first bytes {head[:8]!r}); this reader knows vectors (WPVECTRS), encoded "
                "corpora (WPCORPUS), models (WPMODEL), parameter files (WPRNNPAR), checkpoint directories, "
                "tsv vocabularies and JSON side files")


# ---------------------------------------------------------------- command line

def main(argv=None):
    parser = argparse.ArgumentParser(prog="wordpipe_read.py", description="Read WordPipe's native files.")
    parser.add_argument("file", help="a WordPipe file: vectors (.wpv), encoded corpus, model, parameter file, "
                                     "checkpoint directory, tsv vocabulary or JSON side file")
    parser.add_argument("--word2vec-text", metavar="OUT",
                        help="write the vectors of a .wpv file as word2vec text to OUT (- for standard output)")
    parser.add_argument("--verify", action="store_true", help="also check the payload's CRC-32C (pure Python: slow)")
    arguments = parser.parse_args(argv)
    try:
        if arguments.word2vec_text:
            words, _, matrix = read_vectors(arguments.file, verify=arguments.verify)
            if arguments.word2vec_text == "-":
                write_word2vec_text(words, matrix, sys.stdout)
            else:
                temporary = arguments.word2vec_text + ".partial"
                with open(temporary, "w", encoding="utf-8", newline="\n") as out:
                    write_word2vec_text(words, matrix, out)
                os.replace(temporary, arguments.word2vec_text)
        else:
            json.dump(read_header(arguments.file, verify=arguments.verify), sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
    except (WordPipeFormatError, OSError) as error:
        print(f"wordpipe_read.py: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
