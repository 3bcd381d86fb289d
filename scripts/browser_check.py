"""The web page of `wordpipe serve` in a real browser (headless Chromium through Selenium).

Usage: browser_check.py WORDPIPE WORKDIR

Trains a small tagger and writes small vectors in WORKDIR, starts `wordpipe serve` on a free
loopback port, and drives Chromium through the page as a person would, by keyboard:
  1. search a word: the neighbours shown equal `wordpipe nearest --json`, and the map has one
     point per neighbour (plus the query's);
  2. an unknown word: the error is shown plainly and the list is emptied;
  3. tag a sentence: the highlighted spans equal the entities of `wordpipe tag --format text --json`;
  4. at phone width (390 px) nothing scrolls sideways.
Screenshots go to WORKDIR/screenshots. Exits non-zero on the first mismatch.
"""
import json
import os
import random
import re
import signal
import subprocess
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WORDPIPE, WORK = sys.argv[1], sys.argv[2]
SHOTS = os.path.join(WORK, "screenshots")
os.makedirs(SHOTS, exist_ok=True)


def run(*args, stdin=None):
    result = subprocess.run([WORDPIPE, *args], input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"wordpipe {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def fail(message):
    print(f"browser check: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


# Artifacts: random vectors (seeded) and a tagger trained on generated CoNLL with two types.
rng = random.Random(7)
words = [f"w{i}" for i in range(400)]
with open(os.path.join(WORK, "words.vec"), "w") as f:
    f.write(f"{len(words)} 24\n")
    for word in words:
        f.write(word + " " + " ".join(f"{rng.uniform(-1, 1):.5f}" for _ in range(24)) + "\n")
run("convert", os.path.join(WORK, "words.vec"), "-o", os.path.join(WORK, "words.wpv"))

people, places, fillers = ["John Smith", "Mary", "Anna Berg"], ["Paris", "New York", "Berlin"], ["the", "man", "went", "to", "saw", "in"]


def conll(count, offset):
    lines = []
    for k in range(offset, offset + count):
        person, place = people[k % 3].split(), places[(k // 3) % 3].split()
        tokens = [(w, ("B-PER" if i == 0 else "I-PER")) for i, w in enumerate(person)]
        tokens += [(fillers[k % 6], "O"), (fillers[(k // 2) % 6], "O")]
        tokens += [(w, ("B-LOC" if i == 0 else "I-LOC")) for i, w in enumerate(place)]
        lines += [f"{w} {t}" for w, t in tokens] + [""]
    return "\n".join(lines) + "\n"


for name, count, offset in [("train.txt", 150, 0), ("dev.txt", 30, 5)]:
    with open(os.path.join(WORK, name), "w") as f:
        f.write(conll(count, offset))
tagger = os.path.join(WORK, "ner.wpm")
run("train-tagger", "--train", os.path.join(WORK, "train.txt"), "--dev", os.path.join(WORK, "dev.txt"), "-o", tagger,
    "--hidden", "16", "--dim", "16", "--epochs", "15", "--batch", "8", "--lr", "0.02", "--threads", "1", "--progress", "never")

server = subprocess.Popen([WORDPIPE, "serve", "--port", "0", "--vectors", os.path.join(WORK, "words.wpv"), "--model", tagger],
                          stderr=subprocess.PIPE, text=True)
port = None
for line in server.stderr:
    match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
    if match:
        port = int(match.group(1))
        break
if port is None:
    fail("serve did not start")
base = f"http://127.0.0.1:{port}/"

options = webdriver.ChromeOptions()
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"]:
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
# The driver is Debian's: Selenium Manager is never asked to download one.
driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 20)
checks = 0
try:
    driver.get(base)
    wait.until(lambda d: "Serving" in d.find_element(By.ID, "loaded").text)

    # 1. Search a word by keyboard: type, Enter.
    query = "w42"
    box = driver.find_element(By.ID, "nearest-word")
    box.click()
    k_box = driver.find_element(By.ID, "nearest-k")
    k_box.clear()
    k_box.send_keys("12")
    box.send_keys(query, Keys.ENTER)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#nearest-list li")) == 12)
    shown = [li.text.rsplit(" ", 1) for li in driver.find_elements(By.CSS_SELECTOR, "#nearest-list li")]
    expected = json.loads(run("nearest", "--vectors", os.path.join(WORK, "words.wpv"), "-k", "12", "--json", query))
    want = [(n["word"], f"{n['score']:.3f}") for n in expected["neighbours"]]
    if [tuple(s) for s in shown] != want:
        fail(f"neighbours shown {shown} differ from wordpipe nearest {want}")
    checks += 1
    points = driver.find_elements(By.CSS_SELECTOR, "#nearest-map g.point")
    labels = [p.find_element(By.TAG_NAME, "text").text for p in points]
    if len(points) != 13 or sorted(labels) != sorted([query] + [w for w, _ in want]):
        fail(f"the map has {len(points)} points ({labels}), not the query and 12 neighbours")
    checks += 1
    driver.save_screenshot(os.path.join(SHOTS, "1-nearest.png"))

    # 2. An unknown word: shown plainly.
    box.clear()
    box.send_keys("nowhere", Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "nearest-error").text != "")
    error = driver.find_element(By.ID, "nearest-error").text
    if "nowhere" not in error or driver.find_elements(By.CSS_SELECTOR, "#nearest-list li"):
        fail(f"unknown word: error {error!r}, list not emptied")
    checks += 1
    driver.save_screenshot(os.path.join(SHOTS, "2-unknown.png"))

    # 3. Tag a sentence: the highlighted spans are the tagger's entities.
    sentence = "Anna Berg went to New York"
    area = driver.find_element(By.ID, "text-input")
    area.clear()
    area.send_keys(sentence)
    driver.find_element(By.CSS_SELECTOR, "#text-form button").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#text-results h3"))
    marks = [(m.get_attribute("data-type"), driver.execute_script("return arguments[0].firstChild.textContent", m))
             for m in driver.find_elements(By.CSS_SELECTOR, "#text-results mark")]
    tagged = json.loads(run("tag", "--model", tagger, "--format", "text", "--json", stdin=sentence + "\n"))
    entities = [(e["type"], e["text"]) for e in tagged["entities"]]
    if marks != entities or not entities:
        fail(f"highlighted {marks}, the tagger's entities are {entities}")
    checks += 1
    driver.execute_script("document.getElementById('text-section').scrollIntoView()")
    driver.save_screenshot(os.path.join(SHOTS, "3-tagged.png"))

    # 4. Phone width: nothing scrolls sideways.
    driver.set_window_size(390, 844)
    driver.get(base)
    wait.until(lambda d: "Serving" in d.find_element(By.ID, "loaded").text)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        fail(f"at 390 px the page is {overflow} px wider than the window")
    checks += 1
    driver.save_screenshot(os.path.join(SHOTS, "4-phone.png"))
finally:
    driver.quit()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)

print(f"browser check: {checks} checks passed in headless Chromium "
      f"({driver.capabilities.get('browserVersion', '?')}); screenshots in {SHOTS}")
