using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Formats.Gguf;
using PhiSharp.Models;
using PhiSharp.Quantization;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Tokenizers;
using PhiSharp.Tokenizers;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Tests.Quantization;

/// <summary>
/// `phi quantize` stores byte-level BPE tokenizers — a byte-level tokenizer.json (Phi-4's cl100k, Phi-4-mini's o200k)
/// and a tiktoken rank file with its special tokens (Phi-3-small) — as GGUF metadata that llama.cpp reads as the same
/// vocabulary, and the GGUF tokenizes like the reference.
/// Two independent references: tools/reference/llamacpp/tokenizer_fixtures.py built the arrays from the rank files
/// in Python (bpe_vocab.py, merges recovered as llama.cpp's converter does) and recorded their SHA-256 digests and
/// llama.cpp's ids (tests/fixtures/tokenizer_gguf); equal digests mean llama.cpp tokenized exactly what we write. And
/// tiktoken's ids for the corpus (tests/fixtures/tokenizer/*.ids.jsonl), which the written GGUF must reproduce. Ids are
/// exact: a tokenizer is right or wrong.
/// </summary>
public class ByteLevelGgufVocabularyTests
{
    static readonly JsonElement Manifest = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizer_gguf", "vocabularies.json"))).RootElement;

    static (int Id, string Text)[] Added(string llamaCase) => Manifest.GetProperty(llamaCase).GetProperty("added").EnumerateArray()
        .Select(a => (a.GetProperty("id").GetInt32(), a.GetProperty("text").GetString()!)).ToArray();

    static string Sha256(IEnumerable<string> strings) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", strings))));

    /// <summary>Writes the folder's tokenizer metadata alone into a GGUF file (no tensors: only the tokenizer is read).</summary>
    static string WriteGguf(TempDirectory dir, string folder, int vocabSize, ModelArchitecture? architecture = null)
    {
        string path = dir.File("tokenizer.gguf");
        using (var writer = new GgufWriter(path))
        {
            writer.AddMetadata("general.architecture", "phi3");
            HfTokenizerMetadata.Write(writer, folder, vocabSize, architecture);
            writer.Finish();
        }
        return path;
    }

    /// <summary>The first tokenCount tokens and types are those llama.cpp read; rows past them up to the embedding's are
    /// "[PADn]", UNUSED, as the converter pads them.</summary>
    static void AssertArraysLlamaCppRead(GgufFile gguf, string llamaCase, int rows)
    {
        var spec = Manifest.GetProperty(llamaCase);
        int count = spec.GetProperty("tokenCount").GetInt32();
        string[] tokens = gguf.GetStringArray("tokenizer.ggml.tokens");
        int[] types = gguf.GetInt32Array("tokenizer.ggml.token_type");
        Assert.Equal(Math.Max(rows, count), tokens.Length);
        Assert.Equal(spec.GetProperty("pre").GetString(), gguf.GetString("tokenizer.ggml.pre"));
        Assert.Equal("gpt2", gguf.GetString("tokenizer.ggml.model"));
        Assert.Equal(spec.GetProperty("tokensSha256").GetString(), Sha256(tokens.Take(count)));
        Assert.Equal(spec.GetProperty("typesSha256").GetString(), Sha256(types.Take(count).Select(t => t.ToString())));
        Assert.Equal(spec.GetProperty("mergesSha256").GetString(), Sha256(gguf.GetStringArray("tokenizer.ggml.merges")));
        for (int id = count; id < tokens.Length; id++) Assert.True(tokens[id] == $"[PAD{id}]" && types[id] == 5, $"row {id}");
    }

    static void AssertEncodesLikeReference(ITokenizer tokenizer, string referenceFile)
    {
        var reference = TokenizerFixtures.ReadJsonLines(referenceFile).ToArray();
        for (int line = 0; line < TokenizerFixtures.Corpus.Length; line++)
        {
            string text = TokenizerFixtures.Corpus[line];
            Assert.True(TokenizerFixtures.Ids(reference[line], "special").SequenceEqual(tokenizer.Encode(text, parseSpecial: true)),
                $"line {line} (special tokens parsed): {JsonSerializer.Serialize(text)}");
            Assert.True(TokenizerFixtures.Ids(reference[line], "plain").SequenceEqual(tokenizer.Encode(text)),
                $"line {line} (ordinary): {JsonSerializer.Serialize(text)}");
        }
    }

    /// <summary>Phi-4-mini's shape: o200k with 200064 embedding rows, so the rows past the tokenizer are padding.
    /// (Phi-4's cl100k tokenizer.json: QuantizedVocabularyMatchesLlamaCppTests.)</summary>
    [Theory]
    [InlineData("o200k", "o200k_base", 200064, "o200k.ids.jsonl")]
    public void A_byte_level_tokenizer_json_is_stored_as_llama_cpp_read_it_and_encodes_like_tiktoken(string llamaCase, string rankFile, int rows, string reference)
    {
        using var dir = new TempDirectory();
        ByteLevelTokenizerJson.Write(dir.Path, rankFile, Added(llamaCase));
        File.WriteAllText(dir.File("tokenizer_config.json"), """
            {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "add_bos_token": false, "chat_template": "{{ messages[0]['content'] }}"}
            """);
        using var gguf = GgufFile.Open(WriteGguf(dir, dir.Path, rows));
        AssertArraysLlamaCppRead(gguf, llamaCase, rows);
        int endOfText = Manifest.GetProperty(llamaCase).GetProperty("endOfText").GetInt32();
        Assert.Equal((uint)endOfText, gguf.GetUInt32("tokenizer.ggml.eos_token_id"));
        Assert.Equal((uint)endOfText, gguf.GetUInt32("tokenizer.ggml.bos_token_id"));
        Assert.False(gguf.GetBool("tokenizer.ggml.add_bos_token"));
        Assert.Equal("{{ messages[0]['content'] }}", gguf.GetString("tokenizer.chat_template"));
        AssertEncodesLikeReference(ModelLoader.GgufTokenizer(gguf), reference);
    }

    /// <summary>Phi-2's GPT-2 tokenizer.json (ByteLevel pre-tokenizer with GPT-2's regex; CodeGen's whitespace runs as
    /// added tokens that are not special, so USER_DEFINED). llama.cpp's converter names it "phi-2" (its hash counts the
    /// whitespace tokens), PhiSharp "gpt-2": the same pattern to llama.cpp, and the vocabulary case recorded under both.</summary>
    [Fact]
    public void Phi_2_s_tokenizer_json_with_user_defined_tokens_is_stored_as_llama_cpp_read_it_and_encodes_like_hf()
    {
        using var dir = new TempDirectory();
        Gpt2Vocabulary.WriteTokenizerJson(dir.Path);
        using var gguf = GgufFile.Open(WriteGguf(dir, dir.Path, 51200));   // Phi-2's embedding rows
        AssertArraysLlamaCppRead(gguf, "gpt2", 51200);
        Assert.Contains(4, gguf.GetInt32Array("tokenizer.ggml.token_type"));
        AssertEncodesLikeReference(ModelLoader.GgufTokenizer(gguf), "gpt2.ids.jsonl");
    }

    [Fact]
    public void A_tiktoken_rank_file_is_stored_as_llama_cpp_read_it()
    {
        // The architecture hands over tiktoken files when a folder has no tokenizer.json; here cl100k_base's own.
        var files = new TiktokenFiles(SharedFixtures.Path("tokenizers", "tiktoken", "cl100k_base.tiktoken"), KnownPatterns.Cl100kTiktoken,
            Added("cl100k_dbrx").ToDictionary(a => a.Text, a => a.Id));
        var arrays = ByteLevelGgufVocabulary.FromTiktoken(files, vocabSize: 0);
        using var dir = new TempDirectory();
        string path = dir.File("tiktoken.gguf");
        using (var writer = new GgufWriter(path))
        {
            arrays.Write(writer);
            writer.Finish();
        }
        using var gguf = GgufFile.Open(path);
        AssertArraysLlamaCppRead(gguf, "cl100k_dbrx", 0);
        Assert.Equal(100257, arrays.EosId);
        Assert.False(arrays.AddBos || arrays.AddEos);
    }

    /// <summary>GPT-2's tokenizer.json with its pre-tokenizer replaced: what llama.cpp's byte-level BPE cannot reproduce.</summary>
    [Theory]
    [InlineData("""{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}""", "add_prefix_space")]
    [InlineData("""{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\s+|\\S+"}, "behavior": "Isolated"}, {"type": "ByteLevel", "use_regex": false}]}""",
        "has no tokenizer.ggml.pre name")]
    public void A_pre_tokenizer_llama_cpp_cannot_reproduce_is_refused_with_the_reason(string preTokenizer, string reason)
    {
        using var dir = new TempDirectory();
        string path = Gpt2Vocabulary.WriteTokenizerJson(dir.Path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["pre_tokenizer"] = JsonNode.Parse(preTokenizer);
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<UnsupportedModelException>(() => WriteGguf(dir, dir.Path, 0));
        Assert.Contains(reason, e.Message);
        Assert.Contains("tokenizer.json", e.Message);
    }

    [Fact]
    public void A_rank_file_whose_token_no_two_lower_ranks_make_is_refused_with_the_rank()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.tiktoken");
        // 256 single bytes, then "abc" with no "ab" or "bc" below it: not a BPE rank file.
        File.WriteAllLines(path, Enumerable.Range(0, 256).Select(b => $"{Convert.ToBase64String([(byte)b])} {b}")
            .Append($"{Convert.ToBase64String("abc"u8.ToArray())} 256"));
        var e = Assert.Throws<ModelFormatException>(() =>
            ByteLevelGgufVocabulary.FromTiktoken(new TiktokenFiles(path, KnownPatterns.Cl100kTiktoken, new Dictionary<string, int>()), 0));
        Assert.Contains("rank 256", e.Message);
    }
}
