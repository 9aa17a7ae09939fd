using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PhiSharp.Rag.Embedding;

namespace PhiSharp.Rag.Tests.Embedding;

/// <summary>
/// The built-in embedder (the package's ONNX export converted in C# and run by PhiSharp's BERT encoder) gives the
/// vectors that ONNX Runtime computes from the same package's model.onnx, followed by sentence-transformers' mean
/// pooling over the attention mask and L2 normalisation: max |Δ| ≤ 1e-4 per component.
/// </summary>
public class BuiltInModelMatchesOnnxRuntimeTests(BuiltInModelFolder model) : IClassFixture<BuiltInModelFolder>
{
    const float Tolerance = 1e-4f;

    static readonly string LongText = string.Join(" ", Enumerable.Range(0, 120).Select(i =>
        $"Paragraph {i}: the octopus changes colour in a fraction of a second, and tidal pools hold anemones."));

    public static TheoryData<string> Texts =>
    [
        "hello world",
        "How do I install PhiSharp on Linux?",
        "Crème brûlée, naïve café — ÀÉÎÕÜ déjà vu!",
        "北京 is the capital of China; 東京 of Japan.",
        "x = f(a, b) + 3.14159 * r^2 // comment #tag @user https://example.com/a?b=c",
        "supercalifragilisticexpialidocious antidisestablishmentarianism",
        LongText,
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Vectors_equal_onnx_runtime_on_the_packages_own_model(string text)
    {
        int[] ids = model.Embedder.Tokenize(text);
        float[] expected = OnnxRuntimeReference.Embed(ids);
        float[] actual = model.Embedder.Embed(text);

        Assert.Equal(expected.Length, actual.Length);
        float worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max();
        Assert.True(worst <= Tolerance, $"max |Δ| {worst:E2} over {ids.Length} tokens");
    }

    [Fact]
    public void Long_texts_are_cut_to_256_tokens_as_sentence_transformers_does()
    {
        int[] whole = model.Embedder.Tokenizer.Encode(LongText, addSpecialTokens: true, parseSpecial: true);
        int[] used = model.Embedder.Tokenize(LongText);

        Assert.True(whole.Length > 512, $"{whole.Length} tokens");
        Assert.Equal(BuiltInEmbeddingModel.MaxTokens, used.Length);
        Assert.Equal(whole[..255], used[..255]);
        Assert.Equal(102, used[^1]);   // [SEP] ends the cut sequence
    }

    [Fact]
    public void The_vocabulary_is_bert_base_uncased()
    {
        Assert.Equal([101, 7592, 2088, 102], model.Embedder.Tokenize("Hello WORLD"));
        Assert.Equal(BuiltInEmbeddingModel.ModelId, model.Embedder.Metadata.DefaultModelId);
        Assert.Equal(384, model.Embedder.Metadata.DefaultModelDimensions);
    }

    /// <summary>ONNX Runtime on the package's model.onnx, then mean pooling and normalisation as sentence-transformers does.</summary>
    static class OnnxRuntimeReference
    {
        static readonly Lazy<InferenceSession> Session = new(() =>
        {
            var resources = BuiltInEmbeddingModel.ReadResources(BuiltInEmbeddingModel.PackageAssemblyPath);
            return new InferenceSession(resources[BuiltInEmbeddingModel.ModelResource].ToArray());
        });

        public static float[] Embed(int[] ids)
        {
            int n = ids.Length;
            var shape = new[] { 1, n };
            var inputs = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), shape)),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, n).ToArray(), shape)),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[n], shape)),
            };
            using var outputs = Session.Value.Run(inputs);
            var states = outputs.First().AsTensor<float>();   // last_hidden_state [1, n, hidden]
            int hidden = states.Dimensions[2];
            var mean = new double[hidden];
            for (int t = 0; t < n; t++)
                for (int d = 0; d < hidden; d++) mean[d] += states[0, t, d] / (double)n;
            double norm = Math.Sqrt(mean.Sum(v => v * v));
            return mean.Select(v => (float)(v / norm)).ToArray();
        }
    }
}
