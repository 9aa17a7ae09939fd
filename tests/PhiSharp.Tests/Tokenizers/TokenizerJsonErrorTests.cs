using PhiSharp.Tests.Formats;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>A broken tokenizer.json is reported with the file and the field at fault, never a crash or garbage ids.</summary>
public class TokenizerJsonErrorTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    string Write(string json)
    {
        string path = Path.Combine(_dir.Path, "tokenizer.json");
        File.WriteAllText(path, json);
        return path;
    }

    const string Valid = """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}""";

    [Fact]
    public void A_minimal_file_works() =>
        Assert.Equal([2], SentencePieceBpeTokenizer.FromTokenizerJson(Write(Valid)).Encode("ab"));

    [Fact]
    public void Missing_file_names_the_path() =>
        Assert.Contains("nothere", Assert.Throws<FileNotFoundException>(() => SentencePieceBpeTokenizer.FromTokenizerJson(Path.Combine(_dir.Path, "nothere.json"))).Message);

    [Fact]
    public void Invalid_json_is_a_format_error() =>
        Assert.Contains("not valid JSON", Assert.Throws<ModelFormatException>(() => SentencePieceBpeTokenizer.FromTokenizerJson(Write("{\"model\": "))).Message);

    [Fact]
    public void A_merge_of_unknown_tokens_is_named() =>
        Assert.Contains("merge 0 'a c'", Assert.Throws<ModelFormatException>(() => SentencePieceBpeTokenizer.FromTokenizerJson(
            Write("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a c"]}}"""))).Message);

    [Fact]
    public void A_vocab_id_that_is_not_a_number_is_named() =>
        Assert.Contains("'a'", Assert.Throws<ModelFormatException>(() => SentencePieceBpeTokenizer.FromTokenizerJson(
            Write("""{"model": {"type": "BPE", "vocab": {"a": "zero"}}}"""))).Message);

    [Fact]
    public void Other_model_types_are_unsupported() =>
        Assert.Contains("Unigram", Assert.Throws<UnsupportedModelException>(() => SentencePieceBpeTokenizer.FromTokenizerJson(
            Write("""{"model": {"type": "Unigram", "vocab": {}}}"""))).Message);

    [Fact]
    public void Unknown_normalizers_are_unsupported() =>
        Assert.Contains("Lowercase", Assert.Throws<UnsupportedModelException>(() => SentencePieceBpeTokenizer.FromTokenizerJson(
            Write("""{"normalizer": {"type": "Lowercase"}, "model": {"type": "BPE", "vocab": {"a": 0}}}"""))).Message);

    [Fact]
    public void A_character_outside_a_vocabulary_without_unk_or_bytes_is_an_error() =>
        Assert.Throws<InvalidOperationException>(() => SentencePieceBpeTokenizer.FromTokenizerJson(Write(Valid)).Encode("z"));
}
