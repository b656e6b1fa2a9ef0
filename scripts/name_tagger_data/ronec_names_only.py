#!/usr/bin/env python3
"""Heuristic 'names-only' variant of the RONEC files.
RONEC annotates PERSON *mentions* (pronouns, common nouns, titles), not just names.
1. a PER span with no token starting with an uppercase letter -> O
2. other spans: trim edge tokens that do not start with an uppercase letter, or whose lowercased form
   occurs >= 3 times lowercase-initial in the RONEC files (e.g. sentence-initial 'Președintele')."""
import collections, json, os
IN = ['ro-train', 'ro-dev']
def read(p):
    return [[l.split('\t') for l in b.split('\n') if l] for b in open(p, encoding='utf-8').read().split('\n\n') if b.strip()]
data = {n: read(os.path.join(os.environ.get('NER_EXTRA', '/work/ner-extra'), f'{n}.tsv')) for n in IN}
low = collections.Counter(w.lower() for n in IN for s in data[n] for w, _ in s if w[:1].islower())
def namey(w):
    return w[:1].isupper() and low[w.lower()] < 3
stats = {}
for n in IN:
    c = collections.Counter()
    out = []
    for s in data[n]:
        tags = ['O'] * len(s)
        i = 0
        while i < len(s):
            if s[i][1] != 'B-PER':
                i += 1; continue
            j = i + 1
            while j < len(s) and s[j][1] == 'I-PER':
                j += 1
            c['spans in'] += 1
            a, b = i, j
            while a < b and not namey(s[a][0]): a += 1
            while b > a and not namey(s[b - 1][0]): b -= 1
            if a == b:
                c['span dropped (no name-like token)'] += 1
            else:
                if (a, b) != (i, j): c['span trimmed'] += 1
                tags[a] = 'B-PER'
                for k in range(a + 1, b): tags[k] = 'I-PER'
                c['spans out'] += 1
            i = j
        out.append([(w, t) for (w, _), t in zip(s, tags)])
    variants = os.path.join(os.environ.get('NER_EXTRA', '/work/ner-extra'), 'variants')
    os.makedirs(variants, exist_ok=True)
    with open(os.path.join(variants, f'{n}.names-only.tsv'), 'w', encoding='utf-8') as f:
        f.write('\n'.join('\n'.join(f'{w}\t{t}' for w, t in s) + '\n' for s in out))
    stats[n] = dict(c)
print(json.dumps(stats, indent=1, ensure_ascii=False))
