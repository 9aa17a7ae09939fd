using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// Reading a SentencePiece vocabulary from GGUF arrays. How such a vocabulary encodes is checked against llama.cpp in
/// <see cref="GgufSentencePieceMatchesLlamaCppTests"/>.
/// </summary>
public class GgufVocabularyTests
{
    [Fact]
    public void Adds_bos_when_the_file_asks()
    {
        string[] tokens = ["<unk>", "<s>", "</s>", "▁", "a", "▁a"];
        var tokenizer = SentencePieceBpeTokenizer.FromGgufVocabulary(tokens, [0, 0, 0, -3, -4, -5], [2, 3, 3, 1, 1, 1],
            bosId: 1, eosId: 2, unknownId: 0, addBos: true, addEos: true);
        Assert.Equal([1, 5, 2], tokenizer.Encode("a", addSpecialTokens: true));
        Assert.Equal([5], tokenizer.Encode("a"));
    }

    [Fact]
    public void Rejects_arrays_of_different_lengths() =>
        Assert.Throws<ArgumentException>(() => SentencePieceBpeTokenizer.FromGgufVocabulary(["a", "b"], [0], [1, 1], null, null, null, false, false));
}
