# Copyright (c) mmlt contributors. All rights reserved.
"""Write ``configs/<method>/metafile.yml``, ``model-index.yml`` and the
results tables of ``configs/<method>/README.md``.

Run from the repository root after adding configs or results::

    python .dev_scripts/gen_model_index.py

Every config of a method folder becomes a model named after the config.
Configs with a measured result (``method_info.RESULTS``) carry it; the
others are marked ``Status: not yet reproduced`` with no metric. A README
that exists keeps its text: only the part between the ``results`` markers is
rewritten; a missing one is created from a short template.
"""
import glob
import os.path as osp
import re
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from method_info import BENCHMARKS, METHODS, PAPERS, RESULTS  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
BEGIN, END = '<!-- results:begin -->', '<!-- results:end -->'
METRICS = ('Top 1 Accuracy', 'Many', 'Medium', 'Few', 'G-mean Recall',
           'H-mean Recall', 'Lowest Recall')

_DATASETS = [
    (r'fashion-mnist-lt-r(\d+)', 'Fashion-MNIST-LT'),
    (r'cifar100-lt-r(\d+)', 'CIFAR-100-LT'),
    (r'cifar10-lt-r(\d+)', 'CIFAR-10-LT'),
    (r'tiny-imagenet-lt-r(\d+)', 'Tiny-ImageNet-LT'),
    (r'imagenet-lt', 'ImageNet-LT'),
    (r'places-lt', 'Places-LT'),
    (r'inaturalist(\d+)', 'iNaturalist'),
]


def dataset_of(name: str) -> str:
    """'Fashion-MNIST-LT (IF 100)', 'ImageNet-LT', 'iNaturalist 2018'..."""
    tail = name.split('_')[-1]
    for pattern, title in _DATASETS:
        match = re.fullmatch(pattern, tail)
        if match:
            if title == 'iNaturalist':
                return f'{title} {match[1]}'
            return f'{title} (IF {match[1]})' if match.groups() else title
    raise ValueError(f'{name}: unknown dataset suffix {tail!r}; add it to '
                     f'_DATASETS in {__file__}.')


def yaml_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def metafile(folder: str, configs: list) -> str:
    collection, paper_key, technique, _, _ = METHODS[folder]
    lines = [
        'Collections:', f'  - Name: {yaml_str(collection)}', '    Metadata:',
        f'      Training Techniques: [{yaml_str(technique)}]'
    ]
    if paper_key:
        paper = PAPERS[paper_key]
        lines += ['    Paper:', f'      Title: {yaml_str(paper["title"])}']
        if paper['url']:
            lines.append(f'      URL: {paper["url"]}')
    lines += [f'    README: configs/{folder}/README.md', '', 'Models:']
    for config in configs:
        name = osp.splitext(osp.basename(config))[0]
        result = RESULTS.get(name)
        lines += [
            f'  - Name: {name}', f'    In Collection: {yaml_str(collection)}',
            '    Metadata:',
            f'      Training Data: {yaml_str(dataset_of(name))}',
            '      Status: ' + (f'measured ({result[0]}, row {result[1]})'
                                if result else 'not yet reproduced'),
            '    Results:', '      - Task: Image Classification',
            f'        Dataset: {yaml_str(dataset_of(name))}'
        ]
        if result:
            lines.append('        Metrics:')
            lines += [
                f'          {key}: {value}'
                for key, value in zip(METRICS, result[2:])
            ]
        else:
            lines.append('        Metrics: {}')
        lines += [
            '    Weights: null', f'    Config: configs/{folder}/{name}.py'
        ]
    return '\n'.join(lines) + '\n'


def results_table(configs: list) -> str:
    rows, used = [], []
    for config in configs:
        name = osp.splitext(osp.basename(config))[0]
        if name in RESULTS:
            bench, row, *values = RESULTS[name]
            rows.append(f'| [`{name}`](./{name}.py) | {row} | ' +
                        ' | '.join(f'{v:.2f}' for v in values) + ' |')
            used.append(bench)
    if not rows:
        return ('No config of this folder has a measured result yet: every '
                'model in `metafile.yml` is marked *not yet reproduced*.')
    out = [
        '| Config | Benchmark row | Top-1 | Many | Medium | Few | G-mean | '
        'H-mean | Lowest |', '|---|---|---:|---:|---:|---:|---:|---:|---:|',
        *rows, ''
    ]
    for bench in sorted(set(used)):
        info = BENCHMARKS[bench]
        out.append(f'- {bench}: `{info["command"]}`; {info["recipe"]}.')
    out.append('- Percent; Many > 1000, Medium 200-1000, Few < 200 training '
               'images. The full tables, with the spread over seeds and the '
               'training times, are in '
               '[docs/en/results.md](../../docs/en/results.md).')
    out.append('- Every other config of this folder is marked *not yet '
               'reproduced* in `metafile.yml`.')
    return '\n'.join(out)


def readme_template(folder: str) -> str:
    collection, paper_key, _, abstract, modules = METHODS[folder]
    paper = PAPERS.get(paper_key) if paper_key else None
    title = f'# {collection}'
    source = ''
    if paper:
        link = (f'[{paper["title"]}]({paper["url"]})'
                if paper['url'] else f'*{paper["title"]}*')
        source = f'\n> {link} ({paper["cite"]})\n'
    example = sorted(glob.glob(osp.join(ROOT, 'configs', folder, '*.py')))
    fmnist = [c for c in example if 'fashion-mnist' in c] or example
    cfg = osp.relpath(fmnist[0], ROOT)
    work_dir = f'work_dirs/{osp.splitext(osp.basename(cfg))[0]}'
    text = f"""{title}
{source}
## Abstract

{abstract}

mmlt modules: {modules}.

## Usage

```bash
python tools/train.py {cfg}
python tools/test.py {cfg} {work_dir}/epoch_6.pth
```

Two-stage configs take the stage-one checkpoint with
`--cfg-options load_from=...`; see
[docs/en/train_test.md](../../docs/en/train_test.md).

## Results

{BEGIN}
{END}

## The papers' tables

Which config runs which row of the papers' tables:
[docs/en/paper_tables.md](../../docs/en/paper_tables.md).
"""
    if paper:
        text += f'\n## Citation\n\n```bibtex\n{paper["bibtex"]}\n```\n'
    return text


def main():
    index = ['Import:']
    # Model names must be unique across the index: a name in two folders
    # stays with the folder it is named after.
    owner = {}
    for folder in sorted(METHODS):
        for config in glob.glob(osp.join(ROOT, 'configs', folder, '*.py')):
            name = osp.basename(config)
            if name in owner:
                keep = (
                    config if name.startswith(folder + '_') else owner[name])
                drop = owner[name] if keep == config else config
                print(f'SKIPPED {osp.relpath(drop, ROOT)}: its name is taken '
                      f'by {osp.relpath(keep, ROOT)}; rename one of them.')
                owner[name] = keep
            else:
                owner[name] = config
    for folder in sorted(METHODS):
        configs = sorted(
            c for c in glob.glob(osp.join(ROOT, 'configs', folder, '*.py'))
            if owner[osp.basename(c)] == c)
        if not configs:
            continue
        with open(osp.join(ROOT, 'configs', folder, 'metafile.yml'), 'w') as f:
            f.write(metafile(folder, configs))
        index.append(f'  - configs/{folder}/metafile.yml')
        readme = osp.join(ROOT, 'configs', folder, 'README.md')
        text = (
            open(readme).read()
            if osp.exists(readme) else readme_template(folder))
        if BEGIN not in text or END not in text:
            raise SystemExit(f'{readme}: add the {BEGIN} and {END} markers '
                             f'where the results table goes.')
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        with open(readme, 'w') as f:
            f.write(f'{head}{BEGIN}\n{results_table(configs)}\n{END}{tail}')
    missing = sorted(
        osp.basename(osp.dirname(p))
        for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
        if osp.basename(osp.dirname(p)) not in METHODS | {'_base_': 0})
    if missing:
        print('no METHODS entry (skipped):', sorted(set(missing)))
    with open(osp.join(ROOT, 'model-index.yml'), 'w') as f:
        f.write('\n'.join(index) + '\n')


if __name__ == '__main__':
    main()
