"""Vectors for the serving benchmark: VECTORS (word2vec text or binary, or a file wordpipe
converted) saved for gensim (OUT.kv, memory-mappable) and its first 2,000 words as queries
(OUT.words), or, with --random N D, N x D seeded random vectors written as word2vec binary
first. Prints the BLAS kernel numpy uses (threadpoolctl)."""
import sys

import numpy as np
from gensim.models import KeyedVectors
from threadpoolctl import threadpool_info

args = sys.argv[1:]
if args[0] == "--random":
    count, dim, out = int(args[1]), int(args[2]), args[3]
    rng = np.random.default_rng(42)
    vectors = KeyedVectors(vector_size=dim)
    vectors.add_vectors([f"w{i}" for i in range(count)], rng.standard_normal((count, dim)).astype(np.float32))
    vectors.save_word2vec_format(out + ".bin", binary=True)
else:
    source, out = args[0], args[1]
    vectors = KeyedVectors.load_word2vec_format(source, binary=source.endswith(".bin"))
vectors.save(out + ".kv")
with open(out + ".words", "w") as f:
    f.write("\n".join(vectors.index_to_key[:2000]) + "\n")
blas = [(i.get("internal_api"), i.get("architecture"), i.get("version")) for i in threadpool_info() if i.get("user_api") == "blas"]
print(f"peer BLAS: {blas}")
