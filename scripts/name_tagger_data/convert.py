#!/usr/bin/env python3
"""Convert openly licensed NER corpora to token<TAB>tag (B-PER/I-PER/O) files.

Reads git snapshots under /work/.mirror (no work tree; uses `git show`).
Writes /work/ner-extra/<lang>-<split>.tsv and /work/ner-extra/_work/stats.json.
"""
import json, re, subprocess, sys, os, collections

MIRROR = os.environ.get('NER_MIRROR', '/work/.mirror')  # bare git clones, named owner+repo
OUT = os.environ.get('NER_EXTRA', '/work/ner-extra')
WORK = os.path.join(OUT, '_work')
PER_TYPES = {'PER', 'PERS', 'PERSON'}
REPOS = {
    'nerkor': 'nytud+NYTK-NerKor',
    'ronec': 'dumitrescustefan+ronec',
    'estner': 'TartuNLP+EstNER_new',
    'enp': 'EuropeanaNewspapers+ner-corpora',
}
STATS = {}
NOTES = collections.defaultdict(collections.Counter)


def gitdir(key):
    return os.path.join(MIRROR, REPOS[key], 'repo')


def head(key):
    return subprocess.check_output(['git', '--git-dir', gitdir(key), 'rev-parse', 'HEAD'], text=True).strip()


def ls(key, prefix):
    out = subprocess.check_output(['git', '--git-dir', gitdir(key), 'ls-tree', '-r', '--name-only', 'HEAD', prefix], text=True)
    return sorted(p for p in out.splitlines() if p)


def show(key, path, binary=False):
    b = subprocess.check_output(['git', '--git-dir', gitdir(key), 'show', 'HEAD:' + path])
    return b if binary else b.decode('utf-8')


def person_flag(tag, per_types=PER_TYPES):
    """Return ('B'|'I', True) for person tags, (None, False) otherwise."""
    if tag is None:
        return None, False
    m = re.match(r'^([BIES])-(.+)$', tag)
    if not m:
        return None, False
    return m.group(1), m.group(2) in per_types


def to_bio(tags_in, per_types=PER_TYPES, note=None):
    """Reduce an arbitrary IOB1/IOB2/BIOES tag sequence to B-PER/I-PER/O.

    An I-PER that does not continue a person span (start of sentence, after O or
    after another entity type) becomes B-PER (IOB1 -> IOB2 repair)."""
    out = []
    for t in tags_in:
        p, isper = person_flag(t, per_types)
        if not isper:
            out.append('O')
        elif p in ('B', 'S'):
            out.append('B-PER')
        else:  # I or E
            if out and out[-1] in ('B-PER', 'I-PER'):
                out.append('I-PER')
            else:
                out.append('B-PER')
                if note is not None:
                    note['I-PER->B-PER repaired'] += 1
    return out


def write_tsv(path, sents):
    n_tok = n_per = 0
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        first = True
        for toks, tags in sents:
            if not toks:
                continue
            if not first:
                f.write('\n')
            first = False
            for w, t in zip(toks, tags):
                assert w and '\t' not in w and '\n' not in w, repr(w)
                f.write(f'{w}\t{t}\n')
                n_tok += 1
                n_per += t == 'B-PER'
    return {'sentences': sum(1 for s in sents if s[0]), 'tokens': n_tok, 'per_entities': n_per}


def clean_token(w):
    # tokens must be non-empty and contain no whitespace control chars that break TSV
    return w.replace('\t', ' ').replace('\r', '').replace('\n', ' ').strip()


# ---------------------------------------------------------------- NerKor (hu)
def read_conllup_text(text, note):
    sents, cur = [], []
    ner_col, ncols = None, 10 ** 6
    for line in text.split('\n'):
        line = line.rstrip('\r')
        if line.startswith('# global.columns'):
            cols = line.split('=', 1)[1].split()
            ner_col = cols.index('CONLL:NER')
            ncols = len(cols)
            continue
        if not line.strip():
            if cur:
                sents.append(cur)
            cur = []
            continue
        parts = line.split('\t')
        if line.startswith('#') and len(parts) < ncols:
            continue  # comment
        if len(parts) != ncols:
            note['bad column count'] += 1
        cur.append((parts[0], parts[ner_col]))
    if cur:
        sents.append(cur)
    return sents


def do_nerkor():
    note = NOTES['hu']
    for split, sub in (('train', 'data/train/'), ('dev', 'data/devel/')):
        paths = [p for p in ls('nerkor', sub) if p.endswith('.conllup')]
        assert not any('/test/' in p for p in paths)
        sents = []
        for p in paths:
            for s in read_conllup_text(show('nerkor', p), note):
                toks = [clean_token(w) for w, _ in s]
                tags_raw = [t for _, t in s]
                note.update('raw:' + t for t in tags_raw if 'PER' in t)
                if any(not w for w in toks):
                    note['empty token dropped'] += sum(1 for w in toks if not w)
                keep = [i for i, w in enumerate(toks) if w]
                tags = to_bio([tags_raw[i] for i in keep], note=note)
                sents.append(([toks[i] for i in keep], tags))
        STATS[f'hu-{split}'] = dict(write_tsv(f'{OUT}/hu-{split}.tsv', sents),
                                    repo='nytud/NYTK-NerKor', commit=head('nerkor'),
                                    paths=f'{sub}**/*.conllup ({len(paths)} files)')


# ---------------------------------------------------------------- EstNER (et)
def do_estner():
    note = NOTES['et']
    for split in ('train', 'dev'):
        path = f'EstNER_new_{split}.json'
        try:
            data = json.loads(show('estner', path))
        except subprocess.CalledProcessError:
            STATS[f'et-{split}'] = {'missing': path, 'repo': 'TartuNLP/EstNER_new', 'commit': head('estner')}
            continue
        sents = []
        for doc in data['documents']:
            for s in doc['sentences']:
                toks = [clean_token(w['word']) for w in s['words']]
                raw = [w['ner_1'] for w in s['words']]
                for w in s['words']:
                    if person_flag(w.get('ner_2'))[1] or person_flag(w.get('ner_3'))[1]:
                        if not person_flag(w['ner_1'])[1]:
                            note['nested PER token (ner_2/3) not PER at ner_1, left O'] += 1
                keep = [i for i, w in enumerate(toks) if w]
                note['empty token dropped'] += len(toks) - len(keep)
                sents.append(([toks[i] for i in keep], to_bio([raw[i] for i in keep], note=note)))
        STATS[f'et-{split}'] = dict(write_tsv(f'{OUT}/et-{split}.tsv', sents),
                                    repo='TartuNLP/EstNER_new', commit=head('estner'), paths=path + ' (ner_1 layer)')


# ---------------------------------------------------------------- RONEC (ro)
def norm_key(toks):
    return re.sub(r'\W', '', ''.join(toks)).lower()


def shingles(s, k=40):
    if len(s) <= k:
        return {s}
    return {s[i:i + k] for i in range(len(s) - k + 1)}


def read_conllu_plain(text):
    sents, cur, meta = [], [], {}
    for line in text.split('\n'):
        if not line.strip():
            if cur:
                sents.append((meta, cur))
            cur, meta = [], {}
            continue
        if line.startswith('#'):
            if '=' in line:
                k, v = line[1:].split('=', 1)
                meta[k.strip()] = v.strip()
            continue
        c = line.split('\t')
        if '-' in c[0] or '.' in c[0]:
            continue
        cur.append(c)
    if cur:
        sents.append((meta, cur))
    return sents


def do_ronec():
    note = NOTES['ro']
    commit = head('ronec')
    v2 = {}
    for name in ('train', 'valid', 'test'):
        try:
            v2[name] = json.loads(show('ronec', f'data/{name}.json'))
        except subprocess.CalledProcessError:
            v2[name] = None
    # dev = v2 valid
    sents = []
    for x in v2['valid']:
        toks = [clean_token(w) for w in x['tokens']]
        keep = [i for i, w in enumerate(toks) if w]
        note['empty token dropped'] += len(toks) - len(keep)
        sents.append(([toks[i] for i in keep], to_bio([x['ner_tags'][i] for i in keep], note=note)))
    STATS['ro-dev'] = dict(write_tsv(f'{OUT}/ro-dev.tsv', sents), repo='dumitrescustefan/ronec', commit=commit,
                           paths='data/valid.json (RONEC v2)')
    if v2['train'] is not None:
        sents = []
        for x in v2['train']:
            sents.append((x['tokens'], to_bio(x['ner_tags'], note=note)))
        STATS['ro-train'] = dict(write_tsv(f'{OUT}/ro-train.tsv', sents), repo='dumitrescustefan/ronec',
                                 commit=commit, paths='data/train.json (RONEC v2)')
        return
    # v2 train.json absent from snapshot (>= 4 MiB): fall back to RONEC v1 full corpus,
    # minus v1's own test split, minus anything overlapping v2 valid/test.
    import zipfile, io
    z = zipfile.ZipFile(io.BytesIO(show('ronec', 'ronec_v1/ronec/conllup/zips/ronec_iob.zip', binary=True)))
    full = read_conllu_plain(z.read('ronec_iob.conllup').decode('utf-8'))
    v1test = read_conllu_plain(show('ronec', 'ronec_v1/ronec/conllup/raw/test.conllu'))
    v1test_ids = {m.get('sent_id') for m, _ in v1test}
    v1test_keys = {norm_key([c[1] for c in s]) for _, s in v1test}
    block = set()
    for name in ('valid', 'test'):
        for x in v2[name]:
            block |= shingles(norm_key(x['tokens']))
    sents = []
    for m, s in full:
        toks = [c[1] for c in s]
        k = norm_key(toks)
        if m.get('sent_id') in v1test_ids or k in v1test_keys:
            note['v1 sentence skipped: in v1 test split'] += 1
            continue
        if any(sh in block for sh in shingles(k)):
            note['v1 sentence skipped: overlaps RONEC v2 valid/test (40-char shingle)'] += 1
            continue
        toks = [clean_token(w) for w in toks]
        keep = [i for i, w in enumerate(toks) if w]
        note['empty token dropped'] += len(toks) - len(keep)
        sents.append(([toks[i] for i in keep], to_bio([s[i][-1] for i in keep], note=note)))
    STATS['ro-train'] = dict(write_tsv(f'{OUT}/ro-train.tsv', sents), repo='dumitrescustefan/ronec', commit=commit,
                             paths='ronec_v1/ronec/conllup/zips/ronec_iob.zip (RONEC v1, ronec_iob.conllup, last column); '
                                   'filtered with ronec_v1/ronec/conllup/raw/test.conllu, data/valid.json, data/test.json')


# ---------------------------------------------------------------- Europeana (de/fr/nl)
TAG_RE = re.compile(r'^([BI])-([A-Z]+)$')
DOC_RE = re.compile(r'^# (file|sbb url|tel url):')


def norm_enp_tag(t, note):
    u = t.upper().replace('_', '-').replace('.', '-')
    if u == 'O':
        return 'O'
    m = TAG_RE.match(u)
    if not m:
        return None
    p, typ = m.groups()
    if u != t:
        note[f'tag normalised {t}->{u}'] += 1
    if typ in ('BER', 'ER'):  # obvious typos of B-PER in context (e.g. "Gruber B-BER / Anton I-PER")
        note[f'tag {t} read as {p}-PER'] += 1
        typ = 'PER'
    return f'{p}-{typ}'


def read_enp(text, note):
    """Return list of documents; each a list of (token, raw_tag)."""
    docs, cur = [], []
    pending = None  # token line with no tag; a lone tag on the next line may belong to it
    for line in text.split('\n'):
        line = line.strip()
        if not line:
            continue
        if DOC_RE.match(line):
            if pending:
                cur.extend(pending); pending = None
            if cur:
                docs.append(cur)
            cur = []
            continue
        parts = line.split()
        tag = norm_enp_tag(parts[-1], note) if len(parts) >= 1 else None
        if tag is not None and len(parts) == 1:
            # a tag alone on a line
            if pending and len(pending) == 1 and pending[0][1] == 'O':
                pending = [(pending[0][0], tag)]
                note['lone tag line attached to previous untagged token'] += 1
            else:
                note['lone tag line dropped'] += 1
            continue
        if pending:
            cur.extend(pending); pending = None
        if tag is None:
            if len(parts) > 1:
                # last field is a garbled tag (e.g. "Bür v"): drop it, tag O
                words, tag = parts[:-1], 'O'
                note['garbled tag field dropped, token -> O: ' + line] += 1
                is_pending = False
            else:
                words, tag = parts, 'O'
                note['line without tag -> O (unless a lone tag follows)'] += 1
                is_pending = True
        else:
            words = parts[:-1]
            is_pending = False
        if len(words) > 1:
            note['token containing spaces split into pieces'] += 1
        items = []
        for i, w in enumerate(words):
            if tag == 'O':
                items.append((w, 'O'))
            else:
                items.append((w, tag if i == 0 else 'I-' + tag[2:]))
        if is_pending:
            pending = items
        else:
            cur.extend(items)
    if pending:
        cur.extend(pending)
    if cur:
        docs.append(cur)
    return docs


MAXLEN = 60
MINLEN = 5


def is_sent_end(tok):
    if not tok or tok[-1] not in '.!?':
        return False
    core = tok.rstrip('.!?')
    # "Dr." / initials "H." / ordinals "1." are not sentence ends (unless the token is bare punctuation)
    if tok[-1] == '.' and 0 < len(core) <= 2:
        return False
    return True


def chunk(toks, tags):
    """Split a long token stream into sentence-like chunks of <= MAXLEN tokens.
    Cut after a sentence-final token (ends in . ! ?, not an abbreviation/initial) once the chunk has
    >= MINLEN tokens; if MAXLEN is reached first, cut at the last sentence end, else the last token
    ending in . ! ?, else the last position that is not inside a person span.
    Never splits inside a person span (unless a span alone exceeds MAXLEN)."""
    out = []
    n = len(toks)
    start = i = 0
    last_end = last_punct = None
    while i < n:
        inside_next = i + 1 < n and tags[i + 1] == 'I-PER'
        length = i - start + 1
        if toks[i][-1] in '.!?' and not inside_next:
            last_punct = i
            if is_sent_end(toks[i]):
                last_end = i
                if length >= MINLEN:
                    out.append((start, i + 1)); start = i + 1; last_end = last_punct = None
                    i += 1
                    continue
        if length >= MAXLEN:
            if last_end is not None and last_end - start + 1 >= 15:
                cut = last_end
            elif last_punct is not None and last_punct - start + 1 >= 15:
                cut = last_punct
            else:
                cut = i
                while cut > start and cut + 1 < n and tags[cut + 1] == 'I-PER':
                    cut -= 1
                if cut == start:
                    cut = i
            out.append((start, cut + 1)); start = cut + 1; last_end = last_punct = None
            i = start
            continue
        i += 1
    if start < n:
        out.append((start, n))
    return [(toks[a:b], tags[a:b]) for a, b in out]


def do_enp():
    commit = head('enp')
    files = {'de': ['enp_DE.lft.bio/enp_DE.lft.bio', 'enp_DE.onb.bio/enp_DE.onb.bio', 'enp_DE.sbb.bio/enp_DE.sbb.bio'],
             'fr': ['enp_FR.bnf.bio/enp_FR.bnf.bio'],
             'nl': ['enp_NL.kb.bio/enp_NL.kb.bio']}
    for lang, paths in files.items():
        note = NOTES[lang]
        train, dev = [], []
        per_file = {}
        for p in paths:
            sents = []
            for doc in read_enp(show('enp', p), note):
                toks = [clean_token(w) for w, _ in doc]
                keep = [i for i, w in enumerate(toks) if w]
                note['empty token dropped'] += len(toks) - len(keep)
                toks = [toks[i] for i in keep]
                tags = to_bio([doc[i][1] for i in keep], note=note)
                sents.extend(chunk(toks, tags))
            k = len(sents) - round(len(sents) * 0.15)
            train.extend(sents[:k]); dev.extend(sents[k:])
            per_file[p] = {'sentences': len(sents), 'train': k, 'dev': len(sents) - k}
        for split, ss in (('train', train), ('dev', dev)):
            STATS[f'{lang}-{split}'] = dict(write_tsv(f'{OUT}/{lang}-{split}.tsv', ss),
                                           repo='EuropeanaNewspapers/ner-corpora', commit=commit,
                                           paths='; '.join(paths), per_file=per_file)


if __name__ == '__main__':
    which = sys.argv[1:] or ['nerkor', 'estner', 'ronec', 'enp']
    os.makedirs(WORK, exist_ok=True)
    sp = os.path.join(WORK, 'stats.json')
    old = json.load(open(sp)) if os.path.exists(sp) else {'stats': {}, 'notes': {}}
    for w in which:
        globals()['do_' + w]()
    old['stats'].update(STATS)
    old['notes'].update({k: dict(v) for k, v in NOTES.items()})
    json.dump(old, open(sp, 'w'), indent=1, ensure_ascii=False)
    print(json.dumps({'stats': STATS, 'notes': {k: dict(v) for k, v in NOTES.items()}}, indent=1, ensure_ascii=False))
