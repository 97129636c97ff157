# The syntax of one iptables-restore command line, the definition the hand-written parser in
# ../syntax.ts must agree with (a property test compares them).
#
#   -A CHAIN [! -s 10.0.0.0/8] -m tcp --dport 80 -m comment --comment "a b" -j KUBE-SVC-X
#
# Tokens follow add_param_to_argv (iptables/xshared.c): words are split on spaces and tabs; a
# double-quoted word may hold spaces and, inside it, a backslash takes the next character
# literally. Quotes may only open a word and must be followed by whitespace or the end of the line
# (DEVIATION: iptables would glue `a"b c"` into one word). An unquoted `!` negates an option,
# either before it (`! -s x`) or before its first value (`-s ! x`, iptables' deprecated form).
# An unquoted word starting with `-` and a letter or a second `-` is an option; anything else is
# a value.

@{%
const mk = (command, chain, num, policy, options) => ({ command, chain, num, policy, options });
const opt = (f, negated, values) => ({ flag: f.text, negated, values, col: f.col });
%}

main -> _ command _                                    {% d => d[1] %}

command ->
    cmdA __ chain groups                               {% d => mk('-A', d[2], null, null, d[3]) %}
  | cmdI __ chain groups                               {% d => mk('-I', d[2], null, null, d[3]) %}
  | cmdI __ chain __ num groups                        {% d => mk('-I', d[2], d[4], null, d[5]) %}
  | cmdD __ chain groups                               {% d => mk('-D', d[2], null, null, d[3]) %}
  | cmdD __ chain __ num                               {% d => mk('-D', d[2], d[4], null, []) %}
  | cmdR __ chain __ num groups                        {% d => mk('-R', d[2], d[4], null, d[5]) %}
  | cmdN __ chain                                      {% d => mk('-N', d[2], null, null, []) %}
  | cmdChainOpt                                        {% d => mk(d[0], null, null, null, []) %}
  | cmdChainOpt __ chain                               {% d => mk(d[0], d[2], null, null, []) %}
  | cmdP __ chain __ word                              {% d => mk('-P', d[2], null, d[4], []) %}

cmdA -> "-A" | "--append"
cmdI -> "-I" | "--insert"
cmdD -> "-D" | "--delete"
cmdR -> "-R" | "--replace"
cmdN -> "-N" | "--new-chain"
cmdP -> "-P" | "--policy"
cmdChainOpt ->
    ("-X" | "--delete-chain")                          {% () => '-X' %}
  | ("-F" | "--flush")                                 {% () => '-F' %}
  | ("-Z" | "--zero")                                  {% () => '-Z' %}

chain -> word                                          {% id %}

# A rule number: unquoted decimal digits, at most nine.
num -> [0-9]:+                                         {% (d, _l, reject) => d[0].length > 9 ? reject : Number(d[0].join('')) %}

groups ->
    null                                               {% () => [] %}
  | groups __ group                                    {% d => [...d[0], d[2]] %}

group ->
    flag values                                        {% d => opt(d[0], false, d[1]) %}
  | bang __ flag values                                {% d => opt(d[2], true, d[3]) %}
  | flag __ bang __ word values                        {% d => opt(d[0], true, [d[4], ...d[5]]) %}

values ->
    null                                               {% () => [] %}
  | values __ word                                     {% d => [...d[0], d[2]] %}

bang -> "!"                                            {% () => '!' %}

flag -> "-" [a-zA-Z-] plain:*                          {% (d, l) => ({ text: '-' + d[1] + d[2].join(''), col: l + 1 }) %}

word ->
    [^\-!" \t] plain:*                                 {% d => d[0] + d[1].join('') %}
  | "!" plain:+                                        {% d => '!' + d[1].join('') %}
  | "-"                                                {% () => '-' %}
  | "-" [^a-zA-Z\-" \t] plain:*                        {% d => '-' + d[1] + d[2].join('') %}
  | "\"" qchar:* "\""                                  {% d => d[1].join('') %}

plain -> [^ \t"]                                       {% id %}
qchar ->
    [^"\\]                                             {% id %}
  | "\\" .                                             {% d => d[1] %}

_ -> [ \t]:*                                           {% () => null %}
__ -> [ \t]:+                                          {% () => null %}
