using System.Text;
using PhiSharp.Generation.Constraints;

namespace PhiSharp.Tests.Generation.Constraints;

/// <summary>The grammar language of docs/TOOLS.md, matched byte by byte.</summary>
public sealed class GrammarLanguageTests
{
    /// <summary>Whether the whole text is a sentence of the grammar, and whether each prefix is alive.</summary>
    static bool Matches(string grammar, string text)
    {
        var automaton = new GrammarAutomaton(Grammar.Parse(grammar), _ => true);
        int state = automaton.Start;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            state = automaton.Step(state, b);
            if (state == GrammarAutomaton.Dead) return false;
        }
        return automaton.Accepts(state);
    }

    [Theory]
    [InlineData("root ::= \"ab\" | \"c\"", "ab", true)]
    [InlineData("root ::= \"ab\" | \"c\"", "c", true)]
    [InlineData("root ::= \"ab\" | \"c\"", "a", false)]
    [InlineData("root ::= \"ab\" | \"c\"", "abc", false)]
    [InlineData("root ::= x y\nx ::= \"1\"\ny ::= \"2\"?", "1", true)]
    [InlineData("root ::= x y\nx ::= \"1\"\ny ::= \"2\"?", "12", true)]
    [InlineData("root ::= [a-c]+", "abcacb", true)]
    [InlineData("root ::= [a-c]+", "", false)]
    [InlineData("root ::= [a-c]*", "", true)]
    [InlineData("root ::= [^a-c]", "d", true)]
    [InlineData("root ::= [^a-c]", "b", false)]
    [InlineData("root ::= \"x\"{2,3}", "x", false)]
    [InlineData("root ::= \"x\"{2,3}", "xx", true)]
    [InlineData("root ::= \"x\"{2,3}", "xxx", true)]
    [InlineData("root ::= \"x\"{2,3}", "xxxx", false)]
    [InlineData("root ::= \"x\"{2,}", "xxxxxxx", true)]
    [InlineData("root ::= \"x\"{2}", "xx", true)]
    [InlineData("root ::= (\"a\" \"b\")+ # pairs", "ababab", true)]
    [InlineData("root ::= (\"a\" \"b\")+ # pairs", "aba", false)]
    [InlineData("root ::= \"\\\"\\\\\\n\\t\\x41\\u00e9\"", "\"\\\n\tAé", true)]
    [InlineData("root ::= .", "日", true)]
    [InlineData("root ::= .", "😀", true)]
    [InlineData("root ::= . .", "😀", false)]
    [InlineData("root ::= [α-ω]{3}", "λμν", true)]
    [InlineData("root ::= [α-ω]{3}", "λmν", false)]
    [InlineData("root ::= [^α-ω]", "é", true)]
    [InlineData("root ::= [^α-ω]", "β", false)]
    [InlineData("root ::= \"a\" |", "", true)]
    [InlineData("root ::= \"(\" root \")\" | \"\"", "((()))", true)]
    [InlineData("root ::= \"(\" root \")\" | \"\"", "(()", false)]
    [InlineData("root ::=\n  \"a\"\n  | \"b\"\nother ::= \"c\"", "b", true)]
    public void A_text_matches_exactly_when_the_grammar_says_so(string grammar, string text, bool expected) =>
        Assert.Equal(expected, Matches(grammar, text));

    [Fact]
    public void A_negated_class_never_matches_a_lone_surrogate_encoding_or_a_broken_sequence()
    {
        var automaton = new GrammarAutomaton(Grammar.Parse("root ::= [^a]*"), _ => true);
        int ed = automaton.Step(automaton.Start, 0xED);   // ED 80..9F starts U+D000..U+D7FF; ED A0 would be a surrogate
        Assert.NotEqual(GrammarAutomaton.Dead, ed);
        Assert.Equal(GrammarAutomaton.Dead, automaton.Step(ed, 0xA0));
        Assert.Equal(GrammarAutomaton.Dead, automaton.Step(automaton.Start, 0x80));
        Assert.Equal(GrammarAutomaton.Dead, automaton.Step(automaton.Start, 0xC0));
        Assert.Equal(GrammarAutomaton.Dead, automaton.Step(automaton.Start, 0xF5));
        int half = automaton.Step(automaton.Start, 0xE6);   // first byte of 日: alive, but not accepting
        Assert.NotEqual(GrammarAutomaton.Dead, half);
        Assert.False(automaton.Accepts(half));
    }

    [Fact]
    public void Distance_is_the_fewest_bytes_to_a_complete_sentence()
    {
        var automaton = new GrammarAutomaton(Grammar.Parse("root ::= \"{\" (\"\\\"k\\\":\" [0-9]+)? \"}\" | \"long-one\""), _ => true);
        Assert.Equal(2, automaton.Distance(automaton.Start));
        int open = automaton.Step(automaton.Start, (byte)'{');
        Assert.Equal(1, automaton.Distance(open));
        int quote = automaton.Step(open, (byte)'"');
        Assert.Equal(5, automaton.Distance(quote));   // k":0}
    }

    [Theory]
    [InlineData("root ::= \"abc", "line 1, column 14: expected '\"' to close the string literal")]
    [InlineData("root ::= [a-", "line 1, column 13: expected ']' to close the character class")]
    [InlineData("root ::= [z-a]", "line 1, column 13: expected a range end at or after U+007A")]
    [InlineData("root ::= (\"a\"", "line 1, column 14: expected ')' to close the group")]
    [InlineData("root ::= \"a\"{3,1}", "expected a repetition {3,1} whose maximum is at least its minimum")]
    [InlineData("root ::= \"a\"{99999}", "a repetition count of at most 10000")]
    [InlineData("root ::= \"\\q\"", "line 1, column 11: expected a known escape")]
    [InlineData("root ::= \"\\uD800\"", "line 1, column 11: expected an escape with 4 hex digits naming a Unicode scalar value")]
    [InlineData("root ::= a\n", "line 1, column 10: the rule 'a' is not defined")]
    [InlineData("root ::= \"a\"\nroot ::= \"b\"", "line 2, column 1: the rule 'root' is defined twice")]
    [InlineData("start ::= \"a\"", "The grammar has no rule 'root'")]
    [InlineData("root ::= root \"a\" | \"b\"", "The rule 'root' is left-recursive")]
    [InlineData("root ::= x* \nx ::= \"a\"?", "is left-recursive")]
    [InlineData("root ::= \"a\" root", "The rule 'root' can never finish")]
    [InlineData("root ::= \"a\"?? @", "line 1, column 16: expected a literal, a character class, '.', '(' or a rule name, found '@'")]
    [InlineData("", "defines no rules")]
    [InlineData("::= \"a\"", "line 1, column 1: expected a rule name")]
    public void A_malformed_grammar_is_refused_with_the_place_and_the_reason(string grammar, string message)
    {
        var e = Assert.Throws<GrammarException>(() => Grammar.Parse(grammar));
        Assert.Contains(message, e.Message);
    }
}
