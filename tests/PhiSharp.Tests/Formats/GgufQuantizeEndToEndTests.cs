using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Formats;

/// <summary>The path `phi quantize` will take: quantize rows, write GGUF, map it, dequantize in place.</summary>
public class GgufQuantizeEndToEndTests
{
    [Fact]
    public void Quantized_weights_written_to_GGUF_dequantize_from_the_mapping_to_the_same_floats()
    {
        using var temp = new TempDirectory();
        string path = temp.File("q.gguf");
        var weights = Enumerable.Range(0, 64 * 4).Select(i => MathF.Cos(i * 0.1f)).ToArray();
        var encoded = new byte[GgmlTypeInfo.RowByteSize(GgmlType.Q4_0, weights.Length)];
        Quantize.Row(GgmlType.Q4_0, weights, encoded);
        using (var writer = new GgufWriter(path))
        {
            writer.AddTensor("w", GgmlType.Q4_0, new long[] { 64, 4 });
            writer.WriteTensorData("w", encoded);
            writer.Finish();
        }

        var expected = new float[weights.Length];
        Dequantize.Row(GgmlType.Q4_0, encoded, expected);
        using ITensorSource source = GgufFile.Open(path);
        Assert.True(source.TryGetTensor("w", out var tensor));
        var actual = new float[tensor.ElementCount];
        Dequantize.Row(tensor.Type, tensor.Bytes, actual);
        Assert.Equal(expected, actual);
    }
}
