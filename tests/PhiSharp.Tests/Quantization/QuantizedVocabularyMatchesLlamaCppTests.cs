using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PhiSharp.Formats.Gguf;
using PhiSharp.Models;
using PhiSharp.Models.Phi3Small;
using PhiSharp.Quantization;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Tokenizers;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Quantization;

/// <summary>
/// llama.cpp reads the byte-level tokenizer metadata `phi quantize` writes and tokenizes with it as PhiSharp does:
/// tools/reference/llamacpp/quantized_tokenizer_fixtures.py ran `phi quantize` on tiny folders holding Phi-4-mini's
/// (o200k tokenizer.json), Phi-4's (cl100k tokenizer.json) and Phi-3-small's (cl100k_base.tiktoken, no tokenizer.json)
/// tokenizer files, had llama.cpp (node-llama-cpp) tokenize the corpus with each file's tokenizer keys, and recorded
/// the ids and SHA-256 digests of the arrays (tests/fixtures/tokenizer_gguf/quantized_*). Here the same folders'
/// metadata is written again and must have those digests, and PhiSharp's ids from it must equal llama.cpp's wherever
/// llama.cpp equals tiktoken (the reference: ../tokenizer/*.ids.jsonl); on o200k's known combining-mark line
/// (<see cref="GgufByteLevelMatchesLlamaCppTests"/>) PhiSharp must equal tiktoken. Ids exact.
/// </summary>
public class QuantizedVocabularyMatchesLlamaCppTests
{
    static readonly JsonElement Manifest =
        JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizer_gguf", "quantized_vocabularies.json"))).RootElement;

    /// <summary>Case → tiktoken's ids for the texts, and the case of vocabularies.json whose known disagreements apply.</summary>
    static readonly Dictionary<string, (string Reference, string LlamaCase)> References = new()
    {
        ["phi4mini_o200k"] = ("o200k.ids.jsonl", "o200k"),
        ["phi4_cl100k"] = ("cl100k.ids.jsonl", "cl100k_dbrx"),
        ["phi3small_tiktoken"] = ("phi3small.ids.jsonl", "cl100k_dbrx"),
    };

    public static IEnumerable<object[]> Cases => References.Keys.Select(c => new object[] { c });

    /// <summary>The folder's tokenizer files as the script wrote them, converted by HfTokenizerMetadata (the tiny folders'
    /// models have 384 embedding rows, fewer than the vocabularies).</summary>
    static string WriteGguf(TempDirectory dir, string name)
    {
        var spec = Manifest.GetProperty(name);
        string rankFile = spec.GetProperty("rankFile").GetString()!;
        ModelArchitecture? architecture = null;
        if (spec.GetProperty("folder").GetString() == "phi3small")
        {
            File.Copy(SharedFixtures.Path("tokenizers", "tiktoken", rankFile + ".tiktoken"), dir.File(Phi3SmallTokenizer.RankFileName));
            architecture = new Phi3SmallArchitecture();
        }
        else
        {
            ByteLevelTokenizerJson.Write(dir.Path, rankFile, spec.GetProperty("added").EnumerateArray()
                .Select(a => (a.GetProperty("id").GetInt32(), a.GetProperty("text").GetString()!)));
        }
        File.WriteAllText(dir.File("tokenizer_config.json"), """
            {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "add_bos_token": false,
             "chat_template": "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endfor %}"}
            """);
        string path = dir.File(name + ".gguf");
        using var writer = new GgufWriter(path);
        writer.AddMetadata("general.architecture", "phi3");
        HfTokenizerMetadata.Write(writer, dir.Path, vocabSize: 384, architecture);
        writer.Finish();
        return path;
    }

    static string Sha256(IEnumerable<string> strings) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", strings))));

    [Theory, MemberData(nameof(Cases))]
    public void The_written_vocabulary_is_the_one_llama_cpp_read_and_encodes_like_it(string name)
    {
        var spec = Manifest.GetProperty(name);
        using var dir = new TempDirectory();
        using var gguf = GgufFile.Open(WriteGguf(dir, name));
        Assert.Equal(spec.GetProperty("model").GetString(), gguf.GetString("tokenizer.ggml.model"));
        Assert.Equal(spec.GetProperty("pre").GetString(), gguf.GetString("tokenizer.ggml.pre"));
        Assert.Equal(spec.GetProperty("tokensSha256").GetString(), Sha256(gguf.GetStringArray("tokenizer.ggml.tokens")));
        Assert.Equal(spec.GetProperty("typesSha256").GetString(), Sha256(gguf.GetInt32Array("tokenizer.ggml.token_type").Select(t => t.ToString())));
        Assert.Equal(spec.GetProperty("mergesSha256").GetString(), Sha256(gguf.GetStringArray("tokenizer.ggml.merges")));

        ITokenizer tokenizer = ModelLoader.GgufTokenizer(gguf);
        var (referenceFile, llamaCase) = References[name];
        var reference = TokenizerFixtures.ReadJsonLines(referenceFile).ToArray();
        var llama = File.ReadLines(Fixtures.Path("tokenizer_gguf", $"quantized_{name}.ids.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
        string[] texts = referenceFile == "phi3small.ids.jsonl"
            ? reference.Select(r => r.GetProperty("text").GetString()!).ToArray()
            : TokenizerFixtures.Corpus;
        Assert.Equal(texts.Length, llama.Length);
        var failures = new List<string>();
        for (int line = 0; line < texts.Length; line++)
            foreach (var (key, parseSpecial) in new[] { ("special", true), ("plain", false) })
                failures.AddRange(GgufByteLevelMatchesLlamaCppTests.Check(GgufByteLevelMatchesLlamaCppTests.Known(llamaCase, "corpus"),
                    $"{name} {line} ({key}) {JsonSerializer.Serialize(texts[line])}", line, texts[line],
                    tokenizer.Encode(texts[line], parseSpecial: parseSpecial), TokenizerFixtures.Ids(llama[line], key),
                    TokenizerFixtures.Ids(reference[line], key)));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
