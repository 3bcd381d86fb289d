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
import sys

import serve_fixture

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WORDPIPE, WORK = sys.argv[1], sys.argv[2]
SHOTS = os.path.join(WORK, "screenshots")
os.makedirs(SHOTS, exist_ok=True)


def fail(message):
    print(f"browser check: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def run(*args, stdin=None):
    return serve_fixture.run(WORDPIPE, *args, stdin=stdin)


files = serve_fixture.make_artifacts(WORDPIPE, WORK)
tagger = files["tagger"]
server = serve_fixture.Server(WORDPIPE, ["--vectors", files["vectors"], "--model", tagger])
base = server.base

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
    expected = json.loads(run("nearest", "--vectors", files["vectors"], "-k", "12", "--json", query))
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
    status, _ = server.stop()
    if status != 0:
        fail(f"serve exited {status} on SIGTERM")

print(f"browser check: {checks} checks passed in headless Chromium "
      f"({driver.capabilities.get('browserVersion', '?')}); screenshots in {SHOTS}")
