using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PhiSharp.Models.Bert;
using PhiSharp.Rag.Embedding;

namespace PhiSharp.Rag.Tests.Embedding;

/// <summary>ONNX Runtime on a built-in package's own model.onnx, then the package's pooling (mean over the tokens, or
/// the [CLS] state) and L2 normalisation, as sentence-transformers does.</summary>
static class OnnxRuntimeReference
{
    static readonly Dictionary<string, InferenceSession> Sessions = [];

    static InferenceSession Session(BuiltInPackage package)
    {
        lock (Sessions)
        {
            if (!Sessions.TryGetValue(package.PackageId, out var session))
            {
                var resources = BuiltInEmbeddingModel.ReadResources(package, package.AssemblyPath);
                Sessions[package.PackageId] = session = new InferenceSession(resources[package.ModelResource].ToArray());
            }
            return session;
        }
    }

    public static float[] Embed(BuiltInPackage package, int[] ids)
    {
        int n = ids.Length;
        var shape = new[] { 1, n };
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, n).ToArray(), shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[n], shape)),
        };
        using var outputs = Session(package).Run(inputs);
        var states = outputs.First().AsTensor<float>();   // last_hidden_state [1, n, hidden]
        int hidden = states.Dimensions[2];
        var pooled = new double[hidden];
        if (package.Pooling == EmbeddingPooling.Cls)
            for (int d = 0; d < hidden; d++) pooled[d] = states[0, 0, d];
        else
            for (int t = 0; t < n; t++)
                for (int d = 0; d < hidden; d++) pooled[d] += states[0, t, d] / (double)n;
        double norm = Math.Sqrt(pooled.Sum(v => v * v));
        return pooled.Select(v => (float)(v / norm)).ToArray();
    }
}
