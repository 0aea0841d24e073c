/**
 * The text of a new prompt file ("Prompt Salience: New Prompt File"): every front-matter key a
 * first prompt needs, each with a YAML comment saying what it does. No `vscode` here, so the
 * unit test reads it and runs `prompt-salience check` on it.
 */

export const STARTER_PROMPT = `---
# Front-matter (YAML): how Prompt Salience runs this prompt. Delete what you do not need.
# What this prompt is for (shown in hovers and reports).
description: Classify the sentiment of a product review in one word.
# How many tokens Gemma may write (the response), at most.
max_new_tokens: 16
# Which part of the response to explain: a regex between slashes, or leave it out to explain
# the first line of the response.
explain: "/Sentiment:.*/"
# How the prompt is cut into the pieces that get a colour: tokens, words, sentences, lines,
# paragraphs or variables.
granularity: words
# The variables' default values: {{review}} in the body below is replaced by this text.
vars:
  review: The battery lasts two days and the screen is sharp, but the case cracked in a week.
# Each case runs the body with its own values (the defaults fill in what it leaves out).
# Ctrl+Enter (Cmd+Enter on a Mac) with the cursor in a case runs and explains it.
cases:
  - name: mixed-review
  - name: happy-review
    vars:
      review: Arrived early, works perfectly, and the support team answered within an hour.
    # What the response must contain for "Test expectations" to pass (contains, not_contains,
    # regex, not_regex).
    expect:
      - contains: "Sentiment: positive"
---
Read the product review and answer with one word: positive, negative or mixed.

Review: {{review}}
Sentiment:`;
