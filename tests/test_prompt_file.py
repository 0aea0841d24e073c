"""Prompt files: parsing, problems, rendering, exact source maps, and the sample prompts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from prompt_salience.errors import PromptFileError
from prompt_salience.prompt.line_index import line_column
from prompt_salience.prompt.parsed_prompt import Problem, PromptFile
from prompt_salience.prompt.parsing import parse_prompt_file
from prompt_salience.prompt.reading import read_prompt_source
from prompt_salience.prompt.template import render_case

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
SAMPLES = sorted(PROMPTS.glob("*.prompt"))

# The codelab's few-shot menu template (seed, section 5) with the Quiche Lorraine values.
# Laid out as in LIT's sample prompts: blank lines between the intro, the headings and the
# examples (the seed's text extraction lost them).
_EXAMPLE_DISLIKES = [
    "Taste-likes: I've a sweet-tooth",
    "Taste-dislikes: Don't like onions or garlic",
]
FEWSHOT_MISTAKE_QUICHE = "\n\n".join(
    [
        "Analyze a menu item in a restaurant.",
        "## For example:",
        "\n".join(
            [
                *_EXAMPLE_DISLIKES,
                "Suggestion: Onion soup",
                "Analysis: it has cooked onions in it, which you don't like.",
                "Recommendation: You have to try it.",
            ]
        ),
        "\n".join(
            [
                *_EXAMPLE_DISLIKES,
                "Suggestion: Baguette maison au levain",
                "Analysis: Home-made leaven bread in france is usually great",
                "Recommendation: Likely good.",
            ]
        ),
        "\n".join(
            [
                *_EXAMPLE_DISLIKES,
                "Suggestion: Macaron in france",
                "Analysis: Sweet with many kinds of flavours",
                "Recommendation: You have to try it.",
            ]
        ),
        "## Now analyze one more example:",
        "\n".join(
            [
                "Taste-likes: Cheese",
                "Taste-dislikes: Can't eat eggs",
                "Suggestion: Quiche Lorraine",
                "Analysis:",
            ]
        ),
    ]
)
FIRST_RECOMMENDATION = "which you don't like.\nRecommendation: You have to try it."
# Section 7: the constitution lines that now open the prompt.
CONSTITUTION = (
    "* The analysis should be brief and to the point.\n"
    "* The analysis and recommendation should both be clear about the suitability for someone "
    "with a specified dietary restriction.\n\n"
)


def parse(text: str) -> PromptFile:
    return parse_prompt_file(text, "test.prompt")


def only_problem(prompt_file: PromptFile) -> Problem:
    assert len(prompt_file.problems) == 1, prompt_file.problems
    return prompt_file.problems[0]


def at(prompt_file: PromptFile, problem: Problem) -> tuple[int, int]:
    error = prompt_file.error(problem)
    assert error.path == "test.prompt"
    assert error.fix
    assert error.line is not None
    assert error.column is not None
    return error.line, error.column


def check_offsets(text: str, value: str, offsets: tuple[int, ...]) -> None:
    """Each char maps to the same char in the file, or to an escape or a folded line break."""
    assert len(offsets) == len(value)
    assert all(offset >= 0 for offset in offsets), "every character is traced to the file"
    assert list(offsets) == sorted(set(offsets)), "offsets must strictly increase"
    for char, offset in zip(value, offsets, strict=True):
        source = text[offset]
        if source == char or source == "\\" or (char == "\n" and source == "\r"):
            continue
        assert source in "\r\n\x85\u2028\u2029", (char, source)  # a folded line break
        assert char in " \n\u2028\u2029", (char, source)


# --- the sample prompts --------------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_parses_without_problems_and_renders(path: Path) -> None:
    text = read_prompt_source(path)
    prompt_file = parse_prompt_file(text, str(path))
    assert prompt_file.problems == ()
    assert prompt_file.cases
    for case in prompt_file.cases:
        rendered = render_case(prompt_file, case.name)
        assert rendered.text.strip()
        assert not rendered.text.endswith("\n"), "prompts end where the model continues"
        for i, offset in enumerate(rendered.source_map.file_offsets):
            origin = rendered.source_map.origin_at(i)
            assert origin is not None
            if origin.kind == "template":
                assert text[offset] == rendered.text[i]


def test_samples_are_all_there() -> None:
    names = {p.name for p in SAMPLES}
    assert names >= {
        "menu-fewshot-mistake.prompt",
        "menu-fewshot-fixed.prompt",
        "menu-fewshot-constitution.prompt",
        "maths-fewshot-reasoning.prompt",
        "headline.prompt",
        "constitution-ideas.prompt",
        "raw-prompt.prompt",
        "what-if-target.prompt",
    }


def _menu(name: str) -> PromptFile:
    path = PROMPTS / f"menu-fewshot-{name}.prompt"
    return parse_prompt_file(read_prompt_source(path), str(path))


def test_menu_mistake_renders_the_seed_prompt_char_for_char() -> None:
    prompt_file = _menu("mistake")
    rendered = render_case(prompt_file, "quiche-lorraine")
    assert rendered.text == FEWSHOT_MISTAKE_QUICHE
    assert render_case(prompt_file).text == FEWSHOT_MISTAKE_QUICHE  # the first case
    settings_ = prompt_file.settings
    assert settings_.max_new_tokens == 32
    assert settings_.granularity == "sentences"
    assert settings_.explain == "/Recommendation:.*/"
    values = {name: v.value for name, v in prompt_file.variables.items()}
    assert values == {
        "food_likes": "Cheese",
        "food_dislikes": "Can't eat eggs",
        "menu_item": "Quiche Lorraine",
    }
    spans = rendered.source_map.variable_spans()
    assert [rendered.text[a:b] for a, b, _ in spans] == [
        "Cheese",
        "Can't eat eggs",
        "Quiche Lorraine",
    ]
    assert [name for _, _, name in spans] == ["food_likes", "food_dislikes", "menu_item"]


def test_menu_fixed_and_constitution_follow_the_codelab() -> None:
    fixed = FEWSHOT_MISTAKE_QUICHE.replace(
        FIRST_RECOMMENDATION, "which you don't like.\nRecommendation: Avoid."
    )
    assert fixed != FEWSHOT_MISTAKE_QUICHE
    assert render_case(_menu("fixed"), "quiche-lorraine").text == fixed
    intro = "Analyze a menu item in a restaurant.\n\n"
    constitution = fixed.replace(intro, intro + CONSTITUTION)
    assert render_case(_menu("constitution"), "quiche-lorraine").text == constitution


def test_menu_second_case_overrides_the_variables() -> None:
    prompt_file = _menu("mistake")
    assert [c.name for c in prompt_file.cases] == ["quiche-lorraine", "crepe-suzette"]
    rendered = render_case(prompt_file, "crepe-suzette")
    assert rendered.text.endswith("Suggestion: Crêpe Suzette\nAnalysis:")
    lines = prompt_file.text.splitlines()
    assert lines[prompt_file.cases[1].line].strip() == "- name: crepe-suzette"


def test_what_if_target_sample_has_a_mapped_target() -> None:
    path = PROMPTS / "what-if-target.prompt"
    text = read_prompt_source(path)
    rendered = render_case(parse_prompt_file(text, str(path)))
    assert rendered.target == " Mixed"
    assert rendered.target_offsets is not None
    assert "".join(text[o] for o in rendered.target_offsets) == " Mixed"


def test_headline_article_is_a_literal_block() -> None:
    path = PROMPTS / "headline.prompt"
    text = read_prompt_source(path)
    article = parse_prompt_file(text, str(path)).variables["article"]
    assert article.value.count("\n") == 4
    assert article.value.endswith("school early.\n")
    assert "".join(text[o] for o in article.file_offsets) == article.value


def test_raw_sample_is_the_whole_file_but_its_final_newline() -> None:
    path = PROMPTS / "raw-prompt.prompt"
    text = read_prompt_source(path)
    prompt_file = parse_prompt_file(text, str(path))
    assert prompt_file.raw
    rendered = render_case(prompt_file)
    assert text.endswith("\n")
    assert rendered.text == text[:-1]
    assert rendered.source_map.file_offsets == tuple(range(len(text) - 1))


# --- body, placeholders and the final newline ----------------------------------------------------

SIMPLE = "---\nvars:\n  name: Ann\n---\nHi {{ name }}, {{name}}!\n"


def test_placeholders_allow_whitespace_inside_braces() -> None:
    prompt_file = parse(SIMPLE)
    assert prompt_file.problems == ()
    assert [(p.name, SIMPLE[p.start : p.end]) for p in prompt_file.placeholders] == [
        ("name", "{{ name }}"),
        ("name", "{{name}}"),
    ]
    assert prompt_file.body == "Hi {{ name }}, {{name}}!"
    assert prompt_file.body_offset == SIMPLE.index("Hi")
    assert render_case(prompt_file).text == "Hi Ann, Ann!"


@pytest.mark.parametrize(
    ("ending", "rendered"),
    [("", "Analysis:"), ("\n", "Analysis:"), ("\r\n", "Analysis:"), ("\n\n", "Analysis:\n")],
)
def test_exactly_one_final_line_break_is_dropped(ending: str, rendered: str) -> None:
    text = "---\nvars: {x: a}\n---\n{{x}}\nAnalysis:" + ending
    assert render_case(parse(text)).text == "a\n" + rendered
    assert render_case(parse("Analysis:" + ending)).text == rendered


def test_escaped_braces_render_literally() -> None:
    text = "---\nvars: {x: v}\n---\nKeep \\{{x}} and {{x}}\n"
    prompt_file = parse(text)
    assert prompt_file.problems == ()
    rendered = render_case(prompt_file)
    assert rendered.text == "Keep {{x}} and v"
    for i, char in enumerate(rendered.text):
        assert text[rendered.source_map.file_offsets[i]] == char


@pytest.mark.parametrize(
    ("body", "written"),
    [
        ("Sum: {{ 1+2 }}", "{{ 1+2 }}"),
        ("{{#if x}}yes{{/if}}", "{{#if x}}"),
        ("{{ x | upper }}", "{{ x | upper }}"),
        ("{{}}", "{{}}"),
    ],
)
def test_anything_but_a_name_in_braces_is_an_invalid_placeholder(body: str, written: str) -> None:
    text = f"---\nvars:\n  x: v\n---\nline one\n{body}\n"
    prompt_file = parse(text)
    problem = prompt_file.errors[0]
    assert "Invalid placeholder" in problem.problem
    assert text[problem.start : problem.end] == written
    assert at(prompt_file, problem) == (6, body.index(written) + 1)
    with pytest.raises(PromptFileError, match="Invalid placeholder") as info:
        render_case(prompt_file)
    assert (info.value.line, info.value.column) == (6, body.index(written) + 1)


def test_unclosed_placeholder() -> None:
    prompt_file = parse("---\nvars: {x: v}\n---\n{{x}} and {{ x\n")
    problem = prompt_file.errors[0]
    assert problem.problem == "Unclosed placeholder `{{`."
    assert at(prompt_file, problem) == (4, 11)


def test_raw_prompt_sends_braces_as_they_are_with_a_warning() -> None:
    text = "Say {{name}} please\n"
    prompt_file = parse(text)
    assert prompt_file.raw
    assert prompt_file.placeholders == ()
    problem = only_problem(prompt_file)
    assert problem.severity == "warning"
    assert "no front-matter" in problem.problem
    assert render_case(prompt_file).text == "Say {{name}} please"


def test_byte_order_mark_is_not_part_of_the_prompt() -> None:
    text = "\ufeff---\nvars: {x: v}\n---\n{{x}}!\n"
    rendered = render_case(parse(text))
    assert rendered.text == "v!"
    assert text[rendered.source_map.file_offsets[1]] == "!"
    assert render_case(parse("\ufeffHi\n")).text == "Hi"


def test_crlf_files_keep_exact_offsets() -> None:
    text = "---\r\nvars:\r\n  a: |\r\n    one\r\n    two\r\n---\r\nX {{a}}Y\r\n"
    prompt_file = parse(text)
    assert prompt_file.problems == ()
    value = prompt_file.variables["a"]
    assert value.value == "one\ntwo\n"
    assert [text[o] for o in value.file_offsets] == ["o", "n", "e", "\r", "t", "w", "o", "\r"]
    rendered = render_case(prompt_file)
    assert rendered.text == "X one\ntwo\nY"
    assert prompt_file.cases[0].line == 6


# --- problems ------------------------------------------------------------------------------------


def test_unknown_key_suggests_the_known_one() -> None:
    prompt_file = parse("---\ndescripton: x\n---\nHi\n")
    problem = only_problem(prompt_file)
    assert problem.severity == "error"
    assert problem.problem == "Unknown front-matter key `descripton`."
    assert "Did you mean `description`?" in problem.fix
    assert at(prompt_file, problem) == (2, 1)


def test_unknown_case_key_suggests_the_known_one() -> None:
    prompt_file = parse("---\ncases:\n  - name: a\n    target: t\n    var: {}\n---\nHi\n")
    problem = only_problem(prompt_file)
    assert "Unknown case key `var`" in problem.problem
    assert "Did you mean `vars`?" in problem.fix
    assert at(prompt_file, problem) == (5, 5)


@pytest.mark.parametrize(
    ("front", "message", "line", "column"),
    [
        ("max_new_tokens: -3", "`max_new_tokens` must be a positive whole number", 2, 17),
        ("max_new_tokens: lots", "`max_new_tokens` must be a positive whole number", 2, 17),
        ("max_new_tokens: 1.5", "`max_new_tokens` must be a positive whole number", 2, 17),
        ("description: 42", "`description` must be a text, not `42`", 2, 14),
        ("model: [a, b]", "`model` must be a text, not a list or mapping", 2, 8),
        ("granularity: true", "`granularity` must be a text, not `true`", 2, 14),
        ("target: {a: 1}", "`target` must be a single value (text or number)", 2, 9),
        ("vars: [a, b]", "`vars` must map variable names to values", 2, 7),
        ("vars:\n  x: [1, 2]", "`x` must be a single value (text or number)", 3, 6),
        ("cases: {a: 1}", "`cases` must be a list", 2, 8),
        ("cases:\n  - just text", "A case must be a mapping", 3, 5),
        ("vars:\n  my-var: 1", "`my-var` is not a valid variable name", 3, 3),
        ("model: a\nmodel: b", "`model` is given twice", 3, 1),
    ],
)
def test_wrong_types_name_the_key_the_type_and_the_place(
    front: str, message: str, line: int, column: int
) -> None:
    prompt_file = parse(f"---\n{front}\n---\nHello\n")
    problem = only_problem(prompt_file)
    assert problem.severity == "error"
    assert message in problem.problem
    assert at(prompt_file, problem) == (line, column)


def test_max_new_tokens_reads_yaml_integers() -> None:
    assert parse("---\nmax_new_tokens: 0x20\n---\nHi\n").settings.max_new_tokens == 32


def test_unknown_placeholder_is_an_error_with_a_suggestion() -> None:
    prompt_file = parse("---\nvars:\n  menu_item: x\n---\nA {{menu_itme}} {{menu_item}}\n")
    problem = prompt_file.errors[0]
    assert problem.problem.startswith("Unknown placeholder `{{menu_itme}}`")
    assert "Did you mean `menu_item`?" in problem.fix
    assert at(prompt_file, problem) == (5, 3)
    with pytest.raises(PromptFileError, match=r"no value for `\{\{menu_itme\}\}`") as info:
        render_case(prompt_file)
    assert (info.value.line, info.value.column) == (5, 3)


def test_unused_variable_is_a_warning_on_its_key() -> None:
    prompt_file = parse("---\nvars:\n  used: a\n  spare: b\n---\n{{used}}\n")
    problem = only_problem(prompt_file)
    assert problem.severity == "warning"
    assert "`spare` is never used" in problem.problem
    assert at(prompt_file, problem) == (4, 3)


def test_case_missing_a_variable_is_an_error_on_its_name() -> None:
    text = (
        "---\ncases:\n  - name: full\n    vars: {a: 1, b: 2}\n"
        "  - name: half\n    vars: {a: 1}\n---\n{{a}}{{b}}\n"
    )
    prompt_file = parse(text)
    problem = only_problem(prompt_file)
    assert problem.problem == "Case `half` has no value for `{{b}}`."
    assert at(prompt_file, problem) == (5, 11)
    assert render_case(prompt_file, "full").text == "12"
    with pytest.raises(PromptFileError, match="`half` has no value"):
        render_case(prompt_file, "half")


def test_top_level_vars_fill_what_cases_leave_out() -> None:
    text = (
        "---\nvars: {a: top, b: top}\ncases:\n  - name: one\n    vars: {b: own}\n"
        "  - name: two\n---\n{{a}}/{{b}}\n"
    )
    prompt_file = parse(text)
    assert prompt_file.problems == ()
    assert render_case(prompt_file, "one").text == "top/own"
    assert render_case(prompt_file, "two").text == "top/top"
    assert [c.line for c in prompt_file.cases] == [3, 5]


def test_duplicate_case_names() -> None:
    prompt_file = parse("---\nvars: {a: 1}\ncases:\n  - name: x\n  - name: x\n---\n{{a}}\n")
    problem = only_problem(prompt_file)
    assert problem.problem == "Two cases are named `x`."
    assert at(prompt_file, problem) == (5, 11)


def test_case_without_a_name() -> None:
    prompt_file = parse("---\ncases:\n  - target: t\n---\nHi\n")
    problem = only_problem(prompt_file)
    assert problem.problem == "Case 1 has no name."
    assert prompt_file.cases[0].name == "case 1"


def test_unknown_granularity_suggests_one() -> None:
    prompt_file = parse("---\ngranularity: sentence\n---\nHi\n")
    problem = only_problem(prompt_file)
    assert "Unknown granularity" in problem.problem
    assert "`sentences`" in problem.fix
    assert prompt_file.text[problem.start : problem.end] == "sentence"


def test_invalid_granularity_regex_points_at_the_bad_character() -> None:
    text = "---\ngranularity: 'regex:a)b'\n---\nHi\n"
    prompt_file = parse(text)
    problem = only_problem(prompt_file)
    assert "Invalid separator regex" in problem.problem
    assert at(prompt_file, problem) == (2, 22)
    assert text[problem.start] == ")"
    # An error at the end of the pattern points just past it (the closing quote).
    unclosed = parse('---\ngranularity: "regex:(ab"\n---\nHi\n')
    assert at(unclosed, only_problem(unclosed)) == (2, 24)
    assert parse("---\ngranularity: 'regex:\\n+'\n---\nHi\n").problems == ()


def test_an_unknown_method_is_the_registrys_check_on_the_value() -> None:
    prompt_file = parse("---\nmethod: grad_l3\n---\nHi\n")
    problem = only_problem(prompt_file)
    assert problem.problem == "Unknown method 'grad_l3'."
    assert "Did you mean `grad_l2`?" in problem.fix
    assert "integrated_gradients" in problem.fix  # every registered method is listed
    assert at(prompt_file, problem) == (2, 9)
    assert parse("---\nmethod: grad_dot_input\n---\nHi\n").problems == ()


def test_explain_regex_is_checked() -> None:
    prompt_file = parse('---\nexplain: "/Recommendation:(.*/"\n---\nHi\n')
    problem = only_problem(prompt_file)
    assert "Invalid regex in `explain`" in problem.problem
    assert prompt_file.error(problem).line == 2
    empty = parse("---\nexplain: //\n---\nHi\n")
    assert "empty" in only_problem(empty).problem


def test_explain_plain_text_needs_no_regex() -> None:
    assert parse("---\nexplain: Avoid (it)\n---\nHi\n").problems == ()


@pytest.mark.parametrize("text", ["---\ndescription: x\n---\n", "---\n---\n  \n", ""])
def test_empty_body_is_an_error(text: str) -> None:
    prompt_file = parse(text)
    problem = only_problem(prompt_file)
    assert "empty" in problem.problem
    with pytest.raises(PromptFileError, match="empty"):
        render_case(prompt_file)


def test_lone_surrogate_escape_is_reported() -> None:
    prompt_file = parse('---\nvars: {x: "\\ud83d"}\n---\n{{x}}\n')
    assert "surrogate" in only_problem(prompt_file).problem


def test_problems_are_all_reported_at_once_in_file_order() -> None:
    text = "---\nmodl: x\ngranularity: word\nvars: {a: 1, unused: 2}\n---\n{{a}} {{b}} {{ 1 }}\n"
    prompt_file = parse(text)
    severities = [p.severity for p in prompt_file.problems]
    assert severities == ["error", "error", "warning", "error", "error"]
    starts = [p.start for p in prompt_file.problems]
    assert starts == sorted(starts)


# --- fatal structure errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("---\nvars:\n  a: [1, 2\n---\nHi\n", 4, 1),
        ("---\ndescription: x\n  bad: indent\n---\nHi\n", 3, 6),
        ("---\r\nvars:\r\n  a: 'open\r\n---\r\nHi\r\n", 4, 1),
        ("---\nvars:\n  a: x\tb\n---\nHi\n", 3, 7),
    ],
)
def test_malformed_yaml_gives_the_line_and_column_in_the_file(
    text: str, line: int, column: int
) -> None:
    with pytest.raises(PromptFileError, match="Malformed YAML") as info:
        parse(text)
    assert (info.value.path, info.value.line, info.value.column) == ("test.prompt", line, column)
    assert info.value.fix


def test_unacceptable_character_is_located() -> None:
    with pytest.raises(PromptFileError, match="U\\+0001") as info:
        parse("---\nvars:\n  a: x\x01\n---\nHi\n")
    assert (info.value.line, info.value.column) == (3, 7)


def test_out_of_range_escape_is_a_yaml_error() -> None:
    with pytest.raises(PromptFileError, match="Malformed YAML"):
        parse('---\nvars: {a: "\\U00110000"}\n---\nHi\n')


def test_unclosed_front_matter() -> None:
    with pytest.raises(PromptFileError, match="never closed") as info:
        parse("---\ndescription: x\nHi {{x}}\n")
    assert (info.value.line, info.value.column) == (1, 1)
    assert "`---`" in info.value.fix


@pytest.mark.parametrize("front", ["- a\n- b", "just text"])
def test_front_matter_must_be_a_mapping(front: str) -> None:
    with pytest.raises(PromptFileError, match="key: value") as info:
        parse(f"---\n{front}\n---\nHi\n")
    assert (info.value.line, info.value.column) == (2, 1)


# --- rendering -----------------------------------------------------------------------------------


def test_unknown_case_lists_the_known_ones() -> None:
    prompt_file = _menu("mistake")
    with pytest.raises(PromptFileError, match="quiche-lorraine`, `crepe-suzette") as info:
        render_case(prompt_file, "quiche")
    assert info.value.fix


def test_targets_come_from_the_case_or_the_top() -> None:
    text = "---\ntarget: ' top'\ncases:\n  - name: a\n  - name: b\n    target: \"own\\n\"\n---\nQ\n"
    prompt_file = parse(text)
    top = render_case(prompt_file, "a")
    own = render_case(prompt_file, "b")
    assert (top.target, own.target) == (" top", "own\n")
    assert top.target_offsets is not None
    assert own.target_offsets is not None
    assert "".join(text[o] for o in top.target_offsets) == " top"
    assert text[own.target_offsets[-1]] == "\\"
    assert prompt_file.settings.target == " top"


def test_empty_rendered_prompt_is_an_error() -> None:
    prompt_file = parse("---\nvars:\n  x: ''\n---\n{{x}}\n")
    with pytest.raises(PromptFileError, match="empty"):
        render_case(prompt_file)


def test_null_variable_renders_empty() -> None:
    prompt_file = parse("---\nvars:\n  x:\n---\n[{{x}}]\n")
    assert render_case(prompt_file).text == "[]"


def test_scalars_render_as_written() -> None:
    # yes/0x10/1.50 render as typed, not as YAML's True/16/1.5.
    prompt_file = parse("---\nvars: {a: yes, b: 0x10, c: 1.50}\n---\n{{a}} {{b}} {{c}}\n")
    assert render_case(prompt_file).text == "yes 0x10 1.50"


def test_line_column() -> None:
    text = "ab\r\ncd\ref\ngh"
    assert [line_column(text, text.index(c)) for c in "acegh"] == [
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 1),
        (4, 2),
    ]


# --- reading files -------------------------------------------------------------------------------


def test_read_keeps_crlf(tmp_path: Path) -> None:
    path = tmp_path / "a.prompt"
    path.write_bytes("Crème\r\nbrûlée\r\n".encode())
    assert read_prompt_source(path) == "Crème\r\nbrûlée\r\n"


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PromptFileError, match="File not found") as info:
        read_prompt_source(tmp_path / "nope.prompt")
    assert info.value.fix
    assert info.value.path


def test_read_directory(tmp_path: Path) -> None:
    with pytest.raises(PromptFileError, match="is a folder"):
        read_prompt_source(tmp_path)


def test_read_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.prompt"
    path.write_bytes("ok\ncafé".encode("latin-1"))
    with pytest.raises(PromptFileError, match="not valid UTF-8") as info:
        read_prompt_source(path)
    assert (info.value.line, info.value.column) == (2, 4)
    assert "UTF-8" in info.value.fix


def test_read_binary(tmp_path: Path) -> None:
    path = tmp_path / "utf16.prompt"
    path.write_bytes("hi".encode("utf-16-le"))
    with pytest.raises(PromptFileError, match="NUL bytes"):
        read_prompt_source(path)


# --- exact character maps for YAML scalars -------------------------------------------------------

TRICKY_YAML = [
    "plain one\n    two\n\n    three  four",
    "'single ''quoted''\n\n    and   folded\n    '",
    '"escapes \\t\\u00e9\\U0001F600 \\x41\\\\ \\" and \\\n    joined  \\\n\n    lines\\_end"',
    "|+\n    kept\n\n      indented\n\n",
    "|4-\n          deeper\n       \n      shallow",
    ">\n    folded\n    lines\n\n    para\n      more indented\n    back\n",
    "> # comment\n    \ttab start\n    next",
    "|\n\n    after a blank\n",
    '"\\\n    leading escaped break"',
]


@pytest.mark.parametrize("yaml_value", TRICKY_YAML)
@pytest.mark.parametrize("line_break", ["\n", "\r\n"])
def test_tricky_scalars_map_every_character(yaml_value: str, line_break: str) -> None:
    front = f"vars:\n  x: {yaml_value}\n".replace("\n", line_break)
    text = f"---{line_break}{front}---{line_break}{{{{x}}}}{line_break}"
    expected = yaml.safe_load(front)["vars"]["x"]
    prompt_file = parse(text)
    value = prompt_file.variables["x"]
    assert value.value == expected
    check_offsets(text, value.value, value.file_offsets)


def test_escapes_map_to_their_backslash_and_folds_to_their_line_break() -> None:
    text = '---\nvars:\n  e: "a\\tb\\U0001F600"\n  f: >\n    one\n    two\n---\n{{e}}{{f}}\n'
    prompt_file = parse(text)
    escaped = prompt_file.variables["e"]
    assert escaped.value == "a\tb😀"
    assert [text[o] for o in escaped.file_offsets] == ["a", "\\", "b", "\\"]
    folded = prompt_file.variables["f"]
    assert folded.value == "one two\n"
    assert folded.file_offsets[3] == text.index("one\n") + 3  # the space is that line break


_VALUE_CHARS = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(["\n", "\r\n", "\t", " ", "\\", "'", '"', "é", "😀", "#", ": ", "- ", "\x85"]),
)
_values = st.lists(_VALUE_CHARS, max_size=25).map("".join)
_names = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    values=st.dictionaries(_names, _values, min_size=1, max_size=3),
    style=st.sampled_from([None, "'", '"', "|", ">"]),
    width=st.sampled_from([12, 40, 1000]),
    line_break=st.sampled_from(["\n", "\r\n"]),
    target=_values,
)
def test_random_values_round_trip_with_exact_offsets(
    values: dict[str, str], style: str | None, width: int, line_break: str, target: str
) -> None:
    data = {"vars": values, "cases": [{"name": "only", "vars": values, "target": target}]}
    front = yaml.dump(
        data, default_style=style, allow_unicode=True, width=width, line_break=line_break
    )
    loaded = yaml.safe_load(front)  # YAML's own reading (its emitter has rare bugs)
    body = "".join(f"<{{{{{name}}}}}>" for name in values)
    text = f"---{line_break}{front}---{line_break}{body}{line_break}"
    prompt_file = parse(text)
    assert prompt_file.problems == ()
    case = prompt_file.cases[0]
    for name in values:
        for value in (prompt_file.variables[name], case.variables[name]):
            assert value.value == loaded["vars"][name]
            check_offsets(text, value.value, value.file_offsets)
    assert case.target is not None
    assert case.target.value == loaded["cases"][0]["target"]
    check_offsets(text, case.target.value, case.target.file_offsets)


_LITERAL = st.text(st.characters(codec="utf-8", exclude_characters="{\\|"), max_size=8)
_template_pieces = st.lists(
    st.one_of(_LITERAL, st.sampled_from(["{{a}}", "{{ b }}", "\\{{", "{", "}}", "\\", "\r\n"])),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(pieces=_template_pieces, a=_values, b=_values)
def test_render_then_map_back_is_exact(pieces: list[str], a: str, b: str) -> None:
    front = yaml.dump({"vars": {"a": a, "b": b}}, allow_unicode=True)
    loaded = yaml.safe_load(front)["vars"]
    # "|" between pieces keeps them apart: no `{{` or `\{{` forms across two pieces.
    body = "|".join(pieces) + "."
    text = f"---\n{front}---\n{body}\n"
    meaning = {"{{a}}": loaded["a"], "{{ b }}": loaded["b"], "\\{{": "{{"}
    expected = "|".join(meaning.get(piece, piece) for piece in pieces) + "."
    prompt_file = parse(text)
    assert prompt_file.errors == ()
    rendered = render_case(prompt_file)
    assert rendered.text == expected
    source_map = rendered.source_map
    assert len(source_map) == len(rendered.text)
    for i, char in enumerate(rendered.text):
        origin = source_map.origin_at(i)
        assert origin is not None
        if origin.kind == "template":
            assert text[source_map.file_offsets[i]] == char
    spans = source_map.variable_spans()
    names = {"{{a}}": "a", "{{ b }}": "b"}
    assert [name for _, _, name in spans] == [names[p] for p in pieces if p in names]
    for start, end, name in spans:
        value = prompt_file.variables[name]
        assert rendered.text[start:end] == value.value
        assert source_map.file_offsets[start:end] == value.file_offsets


# --- expectations (`expect:`) ---------------------------------------------------------------------


def test_expectations_at_the_top_apply_to_every_case_and_a_case_adds_its_own() -> None:
    text = (
        "---\n"
        "expect: [not_contains: \"You have to try it\", regex: '/Recommendation: \\w+/']\n"
        "vars:\n  food: Quiche\n"
        "cases:\n"
        "  - name: quiche\n"
        "    expect:\n"
        "      - contains: Avoid\n"
        "      - not_regex: '/(?i)delicious/'\n"
        "  - name: plain\n"
        "---\nSuggestion: {{food}}\n"
    )
    prompt_file = parse(text)
    assert prompt_file.problems == ()
    quiche, plain = prompt_file.cases
    assert [e.describe() for e in quiche.expect] == [
        'not_contains: "You have to try it"',
        "regex: /Recommendation: \\w+/",
        'contains: "Avoid"',
        "not_regex: /(?i)delicious/",
    ]
    assert plain.expect == quiche.expect[:2]
    # Each value keeps its characters' file offsets, and each item its place, for diagnostics.
    for item in quiche.expect:
        assert "".join(text[o] for o in item.written.file_offsets) == item.written.value
    assert [text[e.start : e.end] for e in quiche.expect] == [
        'not_contains: "You have to try it"',
        "regex: '/Recommendation: \\w+/'",
        "contains: Avoid",
        "not_regex: '/(?i)delicious/'",
    ]
    regex_item = quiche.expect[1]
    assert (regex_item.is_regex, regex_item.negated, regex_item.text) == (
        True,
        False,
        "Recommendation: \\w+",
    )


def test_expectations_without_cases_go_to_the_one_case() -> None:
    prompt_file = parse("---\nexpect:\n  - contains: 42\n---\nHi\n")
    assert prompt_file.problems == ()
    (case,) = prompt_file.cases
    assert [(e.kind, e.text) for e in case.expect] == [("contains", "42")]  # as written


def test_cases_without_expectations_have_none() -> None:
    prompt_file = parse("---\ncases:\n  - name: a\n    expect:\n---\nHi\n")
    assert prompt_file.problems == ()
    assert prompt_file.cases[0].expect == ()


@pytest.mark.parametrize(
    ("front", "problem", "fix", "marked"),
    [
        ("expect: Avoid", "`expect` must be a list", "- not_contains:", "Avoid"),
        ("expect:\n  contains: Avoid", "`expect` must be a list", "one item per line", None),
        ("expect:\n  - Avoid", "must be one `kind: text` pair", "`- regex: /Avoid/`", "Avoid"),
        (
            "expect:\n  - {contains: a, regex: /b/}",
            "must be one `kind: text` pair",
            "kinds: `contains`, `not_contains`, `regex`, `not_regex`",
            "{contains: a, regex: /b/}",
        ),
        ("expect:\n  - contain: Avoid", "Unknown expectation `contain`", "`contains`?", "contain"),
        ("expect:\n  - not_contain: x", "Unknown", "Did you mean `not_contains`?", "not_contain"),
        ("expect:\n  - contains:", "`contains` has no text", "after `contains:`", "contains:"),
        ("expect:\n  - contains: ''", "`contains` has no text", "or remove", "contains: ''"),
        ("expect:\n  - contains: [a]", "`contains` must be a single value", "Write", "[a]"),
        ("expect:\n  - regex: Avoid", "between slashes", "`regex: /Avoid/`", "Avoid"),
        ("expect:\n  - not_regex: Av/", "between slashes", "or `not_contains`", "Av/"),
        ("expect:\n  - regex: //", "Invalid regex in `regex`: the pattern is empty", "Fix", "/"),
        ("expect:\n  - not_regex: /a)b/", "Invalid regex in `not_regex`", "slashes", ")"),
        ("cases:\n  - name: a\n    expect: {contains: x}", "`expect` must be a list", "", None),
    ],
)
def test_each_bad_expectation_is_a_problem_on_the_item_with_a_fix(
    front: str, problem: str, fix: str, marked: str | None
) -> None:
    prompt_file = parse(f"---\n{front}\n---\nHi\n")
    found = only_problem(prompt_file)
    assert found.severity == "error"
    assert problem in found.problem
    assert fix in found.fix
    if marked is not None:
        assert prompt_file.text[found.start : found.end] == marked
    assert prompt_file.cases  # the file still reads: the other keys and cases stand


def test_a_bad_regex_in_expect_points_at_the_bad_character_as_for_explain() -> None:
    text = "---\nexpect:\n  - regex: '/Recommendation: (Avoid/'\n---\nHi\n"
    prompt_file = parse(text)
    problem = only_problem(prompt_file)
    assert problem.problem == "Invalid regex in `regex`: missing ) at position 22."
    # Just past the pattern: the closing slash, line 3.
    assert at(prompt_file, problem) == (3, 36)
    assert text[problem.start] == "/"
    middle = parse("---\nexpect: [not_regex: '/a(?<x)b/']\n---\nHi\n")
    bad = only_problem(middle)
    assert at(middle, bad)[0] == 2
    assert middle.text[bad.start] == ")"  # "missing > at position 5": where `>` should be


def test_good_items_stay_when_others_are_bad() -> None:
    prompt_file = parse("---\nexpect:\n  - contains: Avoid\n  - regex: nope\n---\nHi\n")
    assert len(prompt_file.problems) == 1
    assert [e.describe() for e in prompt_file.cases[0].expect] == ['contains: "Avoid"']
