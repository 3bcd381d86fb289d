# 100,000 x 300 random float32 vectors (numpy seed 13) as a word2vec binary file: words w0 ... w99999.
import sys
import numpy as np

rows, dim = 100_000, 300
matrix = np.random.default_rng(13).standard_normal((rows, dim)).astype('<f4')
with open(sys.argv[1], 'wb') as f:
    f.write(f"{rows} {dim}\n".encode())
    for i in range(rows):
        f.write(f"w{i} ".encode())
        f.write(matrix[i].tobytes())
        f.write(b"\n")
