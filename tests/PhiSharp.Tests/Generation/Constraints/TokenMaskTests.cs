using System.Text;
using PhiSharp.Generation.Constraints;
using PhiSharp.Tests.Tokenizers;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Generation.Constraints;

/// <summary>
/// The token mask against a brute-force reference: for a grammar that is one literal text, the allowed tokens must be
/// exactly the tokens whose bytes are a non-empty prefix of the text still to write (bytes read independently: from the
/// tiktoken rank file, or from SentencePiece's piece text), and the end token exactly when the text is complete.
/// Walking the text with randomly chosen allowed tokens splits multi-byte characters across byte-fallback and
/// partial byte-level tokens.
/// </summary>
public sealed class TokenMaskTests
{
    static readonly string[] Texts =
    [
        "{\"name\": \"héllo wörld\", \"n\": [1, 2.5, -3]}",
        "日本語のテキスト😀 and ünïcödé 🎉🎉",
        "x    indented\n\tline\r\n  end  ",
        "Ω≈ç√∫˜µ≤≥÷ åß∂ƒ©˙∆˚¬…æ",
    ];

    public static IEnumerable<object[]> Cases() =>
        from vocabulary in new[] { "phi3", "o200k_base", "cl100k_base" }
        from text in Enumerable.Range(0, Texts.Length)
        select new object[] { vocabulary, text };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_allowed_tokens_are_exactly_the_prefixes_of_the_text_still_to_write(string vocabulary, int textIndex)
    {
        var (tokenizer, referenceBytes) = Load(vocabulary);
        int endId = tokenizer.EosIds.Count > 0 ? tokenizer.EosIds[0] : tokenizer.VocabSize - 1;
        byte[] text = Encoding.UTF8.GetBytes(Texts[textIndex]);
        var grammar = Grammar.Parse("root ::= " + JsonGrammarText.Literal(Texts[textIndex]));
        var constraint = new GrammarConstraint(grammar, tokenizer, [endId], tokenizer.VocabSize);
        var logits = new float[tokenizer.VocabSize];
        var random = new Random(textIndex);
        bool first = true;
        for (int at = 0; ; first = false)
        {
            Array.Clear(logits);
            constraint.Mask(logits, remaining: 10_000);
            var allowed = Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).ToHashSet();
            var rest = text.AsSpan(at);
            var expected = new HashSet<int>();
            for (int id = 0; id < referenceBytes.Length; id++)
            {
                var bytes = referenceBytes[id];
                if (bytes is { Length: > 0 } && id != endId && rest.StartsWith(bytes) && !(first && DropsLeadingSpace(vocabulary) && bytes[0] == ' '))
                    expected.Add(id);
            }
            if (at == text.Length) expected.Add(endId);
            Assert.Equal(expected.Order(), allowed.Order());
            if (at == text.Length) break;
            int pick = allowed.ElementAt(random.Next(allowed.Count));
            constraint.Accept(pick);
            at += referenceBytes[pick]!.Length;
        }
        Assert.True(constraint.Accepts);
    }

    static bool DropsLeadingSpace(string vocabulary) => vocabulary == "phi3";

    static (ITokenizer, byte[]?[]) Load(string vocabulary)
    {
        if (vocabulary == "phi3")
        {
            var phi3 = TokenizerFixtures.Phi3.Value;
            var bytes = new byte[]?[phi3.VocabSize];
            for (int id = 0; id < bytes.Length; id++)
            {
                if (phi3.IsSpecial(id)) continue;
                string piece = phi3.TokenText(id);
                bytes[id] = piece.Length == 6 && piece.StartsWith("<0x") && piece.EndsWith('>')
                    ? [Convert.ToByte(piece[3..5], 16)]
                    : Encoding.UTF8.GetBytes(piece.Replace('▁', ' '));
            }
            return (phi3, bytes);
        }
        var tokenizer = TokenizerFixtures.Tiktoken(vocabulary);
        var reference = new byte[]?[tokenizer.VocabSize];
        foreach (string line in File.ReadLines(SharedFixtures.Path("tokenizers", "tiktoken", vocabulary + ".tiktoken")))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2) reference[int.Parse(parts[1])] = Convert.FromBase64String(parts[0]);
        }
        return (tokenizer, reference);
    }

    [Fact]
    public void Special_tokens_are_never_allowed_inside_the_grammar_and_the_end_only_where_it_accepts()
    {
        var tokenizer = TokenizerFixtures.Phi3.Value;
        var constraint = new GrammarConstraint(Grammar.Parse("root ::= [a-z]+"), tokenizer, [32007], tokenizer.VocabSize);
        var logits = new float[tokenizer.VocabSize];
        constraint.Mask(logits, 100);
        for (int id = 32000; id < tokenizer.VocabSize; id++) Assert.True(float.IsNegativeInfinity(logits[id]), $"token {id}");
        Assert.True(tokenizer.TryGetId("abc", out int abc));
        constraint.Accept(abc);
        Array.Clear(logits);
        constraint.Mask(logits, 100);
        Assert.False(float.IsNegativeInfinity(logits[32007]));
        Assert.True(float.IsNegativeInfinity(logits[32000]));
    }

    [Fact]
    public void With_a_SentencePiece_decoder_that_drops_the_first_space_no_first_token_starts_with_one()
    {
        var tokenizer = TokenizerFixtures.Phi3.Value;
        var constraint = new GrammarConstraint(Grammar.Parse("root ::= \" \"? [a-z]+"), tokenizer, [32007], tokenizer.VocabSize);
        var logits = new float[tokenizer.VocabSize];
        constraint.Mask(logits, 100);
        Assert.True(float.IsNegativeInfinity(logits[278]));    // ▁the
        Assert.True(tokenizer.TryGetId("the", out int the));
        Assert.False(float.IsNegativeInfinity(logits[the]));
        var e = Assert.Throws<InvalidOperationException>(() => new GrammarConstraint(Grammar.Parse("root ::= \" x\""), tokenizer, [32007], tokenizer.VocabSize).Mask(logits, 100));
        Assert.Contains("drops the first space", e.Message);
    }

    [Fact]
    public void Near_the_end_of_the_budget_only_tokens_that_still_fit_the_shortest_completion_are_allowed()
    {
        var tokenizer = TokenizerFixtures.Tiktoken("o200k_base");
        var grammar = Grammar.Parse("root ::= \"[\" ([a-z]+ (\",\" [a-z]+)*)? \"]\"");
        var constraint = new GrammarConstraint(grammar, tokenizer, [199999], tokenizer.VocabSize);
        Assert.Equal(2, constraint.ShortestCompletion);
        var logits = new float[tokenizer.VocabSize];
        constraint.Accept(tokenizer.Encode("[abc")[0]);
        constraint.Mask(logits, remaining: 1);   // one token left: it must close the list
        var allowed = Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).Select(i => tokenizer.Decode([i])).ToList();
        Assert.NotEmpty(allowed);
        Assert.All(allowed, text => Assert.Matches("^[a-z]*\\]$", text));
    }
}
