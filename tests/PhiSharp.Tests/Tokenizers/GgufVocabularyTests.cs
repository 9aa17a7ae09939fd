using System.Text.Json;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>
/// The same Phi-3 vocabulary read the way a GGUF file stores it (pieces, scores, token types, no merge list and no
/// added-token flags) still encodes every corpus line exactly as HF does with tokenizer.json.
/// </summary>
public class GgufVocabularyTests
{
    static readonly JsonElement[] Reference = TokenizerFixtures.ReadJsonLines("phi3.ids.jsonl").ToArray();
    static readonly Lazy<SentencePieceBpeTokenizer> FromGguf = new(BuildLikeLlamaCppConverter);

    public static IEnumerable<object[]> Lines => TokenizerFixtures.CorpusIndices();

    /// <summary>
    /// Pieces and types as llama.cpp's converter writes them for Phi-3: &lt;unk&gt; unknown, &lt;s&gt; &lt;/s&gt; and the
    /// added tokens control, &lt;0xHH&gt; byte, the rest normal. A SentencePiece BPE model scores each piece by when it was
    /// learnt, which is the order of the first merge that makes it; that score is the only merge information a GGUF carries.
    /// (Not simply −id: Llama-2's whitespace runs such as ▁▁ have low ids but are merged late.)
    /// </summary>
    static SentencePieceBpeTokenizer BuildLikeLlamaCppConverter()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(TokenizerFixtures.Phi3TokenizerJson));
        var vocab = json.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Value.GetInt32(), p => p.Name);
        var added = json.RootElement.GetProperty("added_tokens").EnumerateArray().ToDictionary(t => t.GetProperty("id").GetInt32(), t => t.GetProperty("content").GetString()!);
        int size = Math.Max(vocab.Keys.Max(), added.Keys.Max()) + 1;
        var tokens = new string[size];
        var scores = new float[size];
        var types = new int[size];
        var firstMerge = new Dictionary<string, int>();
        int rank = 0;
        foreach (var merge in json.RootElement.GetProperty("model").GetProperty("merges").EnumerateArray())
        {
            string merged = merge.ValueKind == JsonValueKind.String ? merge.GetString()!.Replace(" ", "") : merge[0].GetString() + merge[1].GetString();
            firstMerge.TryAdd(merged, rank++);
        }
        for (int id = 0; id < size; id++)
        {
            tokens[id] = added.TryGetValue(id, out string? a) ? a : vocab[id];
            types[id] = id == 0 ? 2 : id <= 2 || id >= 32000 ? 3 : tokens[id].StartsWith("<0x") && tokens[id].Length == 6 ? 6 : 1;
            scores[id] = types[id] == 1 && firstMerge.TryGetValue(tokens[id], out int r) ? -r : 0;
        }
        return SentencePieceBpeTokenizer.FromGgufVocabulary(tokens, scores, types, bosId: 1, eosId: 32000, unknownId: 0, addBos: false, addEos: false);
    }

    [Theory, MemberData(nameof(Lines))]
    public void Encodes_like_hf_tokenizer_json(int line)
    {
        Assert.Equal(TokenizerFixtures.Ids(Reference[line], "special"), FromGguf.Value.Encode(TokenizerFixtures.Corpus[line], parseSpecial: true));
        Assert.Equal(TokenizerFixtures.Ids(Reference[line], "plain"), FromGguf.Value.Encode(TokenizerFixtures.Corpus[line]));
    }

    [Theory, MemberData(nameof(Lines))]
    public void Decodes_like_hf_tokenizer_json(int line) =>
        Assert.Equal(Reference[line].GetProperty("decoded").GetString(), FromGguf.Value.Decode(TokenizerFixtures.Ids(Reference[line], "special")));

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
