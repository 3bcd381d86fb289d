"""What a user would write instead of `wordpipe serve`: FastAPI + uvicorn around gensim's
KeyedVectors.most_similar, the same request and answer shape as POST /v1/nearest.

KV_PATH names vectors saved by gensim (KeyedVectors.save), memory-mapped read-only so that
several uvicorn workers share one copy; the unit-normalized rows are computed at start."""
import os

from fastapi import FastAPI, HTTPException
from gensim.models import KeyedVectors
from pydantic import BaseModel

vectors = KeyedVectors.load(os.environ["KV_PATH"], mmap="r")
vectors.fill_norms()
app = FastAPI()


class NearestRequest(BaseModel):
    word: str
    k: int = 10


@app.post("/v1/nearest")
def nearest(request: NearestRequest):
    if request.word not in vectors.key_to_index:
        raise HTTPException(status_code=422, detail=f"not in the vocabulary: {request.word}")
    answers = vectors.most_similar(request.word, topn=request.k)
    return {"query": [request.word], "subtract": [],
            "neighbours": [{"word": word, "score": float(score)} for word, score in answers]}
