#!/usr/bin/env python3
"""Build labelled JSONL eval files from raw public-benchmark files saved under FOLDER/raw/.

    python bench/external/build.py FOLDER      (default: ../extbench beside the checkout)

The raw files are the public files named in SOURCES.md (downloaded at the commits given there);
the data is not kept in this repository.

Outputs (one per benchmark):
  xstest.jsonl, hatecheck.jsonl, mhc.jsonl, jailbreak_llmwarden.jsonl
Each line: {"text", "any", "hate", "sexual", "violence", "self_harm", "attack", "lang",
"source_label"}
(null = the source says nothing clear about that field). See SOURCES.md for the mapping rationale.
"""

import csv
import glob
import io
import json
import os
import sys
from collections import Counter

HERE = os.path.abspath(
    sys.argv[1]
    if len(sys.argv) > 1
    else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "extbench")
)
RAW = os.path.join(HERE, "raw")
FIELDS = ["any", "hate", "sexual", "violence", "self_harm", "attack"]


def rec(text, lang, source_label, **labels):
    r = {"text": text}
    for f in FIELDS:
        r[f] = labels.get(f)
    r["lang"] = lang
    r["source_label"] = source_label
    return r


def write(name, rows):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"\n== {name}: {len(rows)} rows")
    for f in FIELDS:
        c = Counter(r[f] for r in rows)
        print(f"  {f:9s} 1={c.get(1, 0):5d}  0={c.get(0, 0):5d}  null={c.get(None, 0):5d}")
    langs = Counter(r["lang"] for r in rows)
    print("  lang:", dict(langs))


# ---------------------------------------------------------------- XSTest
def build_xstest():
    with open(os.path.join(RAW, "xstest_prompts.csv"), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 450, len(rows)
    out = []
    for r in rows:
        lab = r["label"].strip()
        sl = f"{lab}|{r['type'].strip()}"
        if lab == "safe":
            out.append(rec(r["prompt"], "en", sl, any=0, hate=0, sexual=0, violence=0, self_harm=0))
        elif lab == "unsafe":
            # XSTest 'type' names are contrast types (homonyms, figurative language, ...), not
            # harm categories -> categories left null.
            out.append(rec(r["prompt"], "en", sl, any=1))
        else:
            raise ValueError(lab)
    c = Counter(r["label"] for r in rows)
    assert c["safe"] == 250 and c["unsafe"] == 200, c
    return out


# ---------------------------------------------------------------- HateCheck mapping (shared)
# Non-hateful functionalities that are clearly non-abusive -> any=0 (and all categories 0).
NH_CLEAN = {
    "slur_homonym_nh",  # non-slur homonym usage
    "negate_neg_nh",  # negated hate ("I don't hate X")
    "ident_neutral_nh",  # neutral identity mention
    "ident_pos_nh",  # positive identity statement
    "counter_quote_nh",  # counter speech quoting hate
    "counter_ref_nh",  # counter speech referencing hate
    "target_obj_nh",  # "abuse" against objects ("I hate pizza")
}
# Non-hateful but possibly abusive / profane / threatening -> any=null (hate=0 only).
NH_UNSURE = {
    "profanity_nh",  # non-hateful profanity
    "slur_reclaimed_nh",  # reclaimed slurs
    "target_indiv_nh",  # abuse/threats against individuals (not as group members)
    "target_group_nh",  # abuse against non-protected groups
}
THREAT = {"threat_dir_h", "threat_norm_h"}  # explicit threats of violence -> violence=1


def hatecheck_labels(label_gold, functionality):
    lab = label_gold.strip()
    fn = functionality.strip()
    if lab == "hateful":
        lbl = dict(any=1, hate=1)
        if fn in THREAT:
            lbl["violence"] = 1
        return lbl
    if lab == "non-hateful":
        if fn in NH_CLEAN:
            return dict(any=0, hate=0, sexual=0, violence=0, self_harm=0)
        return dict(hate=0)  # NH_UNSURE and any unexpected *_nh -> any=null
    raise ValueError(lab)


def build_hatecheck():
    path = os.path.join(RAW, "hatecheck_test_suite_cases.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3728, len(rows)
    out = []
    for r in rows:
        lbl = hatecheck_labels(r["label_gold"], r["functionality"])
        out.append(
            rec(
                r["test_case"],
                "en",
                f"{r['label_gold'].strip()}|{r['functionality'].strip()}",
                **lbl,
            )
        )
    c = Counter(r["label_gold"] for r in rows)
    assert c["hateful"] == 2563 and c["non-hateful"] == 1165, c
    fns = Counter(r["functionality"] for r in rows if r["label_gold"] == "non-hateful")
    unknown = set(fns) - NH_CLEAN - NH_UNSURE
    assert not unknown, unknown
    return out


# --- Multilingual HateCheck (sampled segments)
MHC_LANG = {
    "german": "de",
    "french": "fr",
    "italian": "it",
    "spanish": "es",
    "portuguese": "pt",
    "mandarin": "zh",
}


def read_segment(path):
    """Each raw/mhc/<lang>_o<offset>.txt is an exact substring of the source CSV starting at
    <offset>. Drop the (partial) first line unless offset==0, and any incomplete last line."""
    with open(path, encoding="utf-8", newline="") as handle:
        t = handle.read()
    off = int(os.path.basename(path).split("_o")[1][:7])
    lines = t.split("\n")
    if off != 0:
        lines = lines[1:]
    if not t.endswith("\n"):
        lines = lines[:-1]
    return off, "\n".join(line for line in lines if line != "")


def build_mhc():
    out = []
    unknown_nh = Counter()
    for lang_name, code in MHC_LANG.items():
        files = sorted(glob.glob(os.path.join(RAW, "mhc", f"{lang_name}_o*.txt")))
        header = None
        seen = set()
        segs = []
        for f in files:
            off, body = read_segment(f)
            if off == 0:
                header, body = body.split("\n", 1)
            segs.append(body)
        assert header is not None, lang_name
        n_lang = 0
        for body in segs:
            for r in csv.DictReader(io.StringIO(header + "\n" + body)):
                cid = r["mhc_case_id"]
                assert cid.startswith(lang_name + "-"), cid
                if cid in seen:
                    continue
                seen.add(cid)
                tc = r["test_case"].strip()
                if tc in ("", "-"):  # placeholder rows without a test case
                    continue
                fn = r["functionality"].strip()
                if r["label_gold"].strip() == "non-hateful" and fn not in NH_CLEAN | NH_UNSURE:
                    unknown_nh[fn] += 1
                lbl = hatecheck_labels(r["label_gold"], fn)
                out.append(rec(r["test_case"], code, f"{r['label_gold'].strip()}|{fn}", **lbl))
                n_lang += 1
        print(f"  MHC {lang_name}: {len(files)} segments, {n_lang} rows")
    if unknown_nh:
        print("  MHC unknown non-hateful functionalities (any=null):", dict(unknown_nh))
    return out


# --- llm-warden jailbreak test split (prefix)
def build_jailbreak(max_chars=10000):
    pages = sorted(glob.glob(os.path.join(RAW, "jbtest", "p*.txt")))
    text = ""
    for p in pages:
        off = int(os.path.basename(p)[1:7])
        assert off == len(text), (p, off, len(text))  # contiguous pages
        with open(p, encoding="utf-8", newline="") as handle:
            text += handle.read()
    with open(
        os.path.join(RAW, f"jailbreak_dataset_test_balanced.prefix{len(text)}.csv"),
        "w",
        encoding="utf-8",
        newline="",
    ) as fh:
        fh.write(text)
    # Cut at the last complete record: a record ends with ',jailbreak' or ',benign' + newline.
    last = max(text.rfind(",jailbreak\n"), text.rfind(",benign\n"))
    end = text.index("\n", last) + 1
    rows = list(csv.reader(io.StringIO(text[:end])))
    assert rows[0] == ["prompt", "type"], rows[0]
    out = []
    for r in rows[1:]:
        assert len(r) == 2 and r[1] in ("jailbreak", "benign"), r[:1]
        prompt = r[0][:max_chars]
        out.append(rec(prompt, "en", r[1], attack=1 if r[1] == "jailbreak" else 0))
    truncated = sum(len(r[0]) > max_chars for r in rows[1:])
    print(
        f"  jailbreak prefix: {len(text)} chars, {len(out)} complete rows, "
        f"{truncated} truncated to {max_chars} chars"
    )
    return out


if __name__ == "__main__":
    write("xstest.jsonl", build_xstest())
    write("hatecheck.jsonl", build_hatecheck())
    write("mhc.jsonl", build_mhc())
    write("jailbreak_llmwarden.jsonl", build_jailbreak())
