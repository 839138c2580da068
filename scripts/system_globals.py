#!/usr/bin/env python3
# Prints the global-scope names in a `clang++ -Xclang -ast-dump` text dump (argv[1]), one per
# line, sorted: declarations at translation-unit level, inside extern "C"/"C++" blocks, and the
# enumerators of unscoped enums there. Used by update-system-names.sh.
import re
import sys

line_re = re.compile(r'^([| `]*?)[|`]-(\w+) 0x[0-9a-f]+ (.*)$')
names = set()
stack = []  # (depth, kind, is_transparent)
TRANSPARENT = {'LinkageSpecDecl'}
DECLS = {'FunctionDecl', 'VarDecl', 'TypedefDecl', 'TypeAliasDecl', 'EnumConstantDecl', 'CXXRecordDecl', 'RecordDecl',
         'EnumDecl', 'NamespaceDecl', 'UsingShadowDecl', 'FunctionTemplateDecl', 'ClassTemplateDecl', 'TypeAliasTemplateDecl',
         'VarTemplateDecl', 'NamespaceAliasDecl', 'UsingDecl'}
for line in open(sys.argv[1], errors='replace'):
    m = line_re.match(line.rstrip('\n'))
    if not m:
        continue
    depth = len(m.group(1)) // 2 + 1
    kind, rest = m.group(2), m.group(3)
    while stack and stack[-1][0] >= depth:
        stack.pop()
    # Global scope: every ancestor is transparent (extern "C") or an unscoped enum (for its constants).
    at_global = all(k in TRANSPARENT or (k == 'EnumDecl' and not scoped) for (_, k, scoped) in stack)
    scoped = kind == 'EnumDecl' and (' class ' in rest or ' struct ' in rest)
    stack.append((depth, kind, scoped))
    if not at_global or kind not in DECLS:
        continue
    if kind == 'EnumConstantDecl' and not (stack[-2][1] == 'EnumDecl' if len(stack) > 1 else False):
        continue
    head = re.sub(r'0x[0-9a-f]+', ' ', rest.split("'")[0])
    toks = re.findall(r'[A-Za-z_]\w*', re.sub(r'<[^>]*>', ' ', head))
    toks = [t for t in toks if t not in ('implicit', 'referenced', 'used', 'invalid', 'sloc', 'col', 'line', 'struct',
                                         'class', 'union', 'enum', 'definition', 'prev', 'constexpr', 'inline',
                                         'extern', 'static', 'cinit', 'callinit', 'listinit', 'parenlistinit', 'fixed')]
    if toks:
        name = toks[-1]
        if re.match(r'^[A-Za-z][A-Za-z0-9_]*$', name):
            names.add(name)
print('\n'.join(sorted(names)))
