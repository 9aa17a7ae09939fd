using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Formats;

public class GgufRoundTripTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void GgufWriter_output_reads_back_every_metadata_kind()
    {
        string path = _temp.File("meta.gguf");
        using (var writer = new GgufWriter(path))
        {
            writer.AddMetadata("u8", (byte)200);
            writer.AddMetadata("i8", (sbyte)-100);
            writer.AddMetadata("u16", (ushort)60000);
            writer.AddMetadata("i16", (short)-30000);
            writer.AddMetadata("u32", 4_000_000_000u);
            writer.AddMetadata("i32", -2_000_000_000);
            writer.AddMetadata("u64", ulong.MaxValue);
            writer.AddMetadata("i64", long.MinValue);
            writer.AddMetadata("f32", 3.25f);
            writer.AddMetadata("f64", Math.PI);
            writer.AddMetadata("bool", true);
            writer.AddMetadata("str", "héllo ▁wörld");
            writer.AddArray<float>("floats", new[] { 1.5f, -2f, float.MaxValue });
            writer.AddArray<int>("ints", new[] { 1, -2, int.MaxValue });
            writer.AddArray<ulong>("u64s", new[] { 1UL, ulong.MaxValue });
            writer.AddArray<bool>("bools", new[] { true, false, true });
            writer.AddArray<byte>("empty", ReadOnlySpan<byte>.Empty);
            writer.AddArray("strings", new[] { "a", "", "<|end|>" });
            writer.AddArray("nested", GgufArray.Of(GgufArray.Of<int>(new[] { 1, 2 }), GgufArray.Of(new[] { "x" })));
            writer.Finish();
        }

        using var file = GgufFile.Open(path);
        Assert.Equal(3u, file.Version);
        Assert.Equal(19, file.Metadata.Count);
        Assert.Equal(200u, file.GetUInt32("u8"));
        Assert.Equal(-100, file.GetInt32("i8"));
        Assert.Equal(60000u, file.GetUInt32("u16"));
        Assert.Equal(-30000, file.GetInt32("i16"));
        Assert.Equal(4_000_000_000u, file.GetUInt32("u32"));
        Assert.Equal(-2_000_000_000, file.GetInt32("i32"));
        Assert.Equal(ulong.MaxValue, file.GetUInt64("u64"));
        Assert.Equal(long.MinValue, file.GetInt64("i64"));
        Assert.Equal(3.25f, file.GetFloat32("f32"));
        Assert.Equal(Math.PI, file.GetFloat64("f64"));
        Assert.True(file.GetBool("bool"));
        Assert.Equal("héllo ▁wörld", file.GetString("str"));
        Assert.Equal(new[] { 1.5f, -2f, float.MaxValue }, file.GetFloat32Array("floats"));
        Assert.Equal(new[] { 1, -2, int.MaxValue }, file.GetInt32Array("ints"));
        Assert.Equal(new[] { 1UL, ulong.MaxValue }, file.GetArray<ulong>("u64s"));
        Assert.Equal(new[] { true, false, true }, file.GetArray<bool>("bools"));
        Assert.Empty(file.GetArray<byte>("empty"));
        Assert.Equal(new[] { "a", "", "<|end|>" }, file.GetStringArray("strings"));
        var nested = file.GetMetadata("nested").ToArrayOfArrays();
        Assert.Equal(new[] { 1, 2 }, nested[0].ToArray<int>());
        Assert.Equal(new[] { "x" }, nested[1].ToStringArray());
        Assert.Equal("[String × 3]", file.GetMetadata("strings").ToString());
    }

    [Fact]
    public void A_tokenizer_sized_string_array_round_trips()
    {
        string path = _temp.File("vocab.gguf");
        var tokens = Enumerable.Range(0, 150_000).Select(i => $"tok{i}").ToArray();
        using (var writer = new GgufWriter(path))
        {
            writer.AddArray("tokenizer.ggml.tokens", tokens);
            writer.AddArray<float>("tokenizer.ggml.scores", tokens.Select((_, i) => (float)i).ToArray());
            writer.Finish();
        }
        using var file = GgufFile.Open(path);
        Assert.Equal(tokens, file.GetStringArray("tokenizer.ggml.tokens"));
        Assert.Equal(149_999f, file.GetFloat32Array("tokenizer.ggml.scores")[^1]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public unsafe void Tensors_of_every_type_read_back_in_place_with_their_dims(bool useMemoryMap)
    {
        string path = _temp.File("tensors.gguf");
        var types = new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
            GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K };
        var data = new Dictionary<string, byte[]>();
        using (var writer = new GgufWriter(path))
        {
            writer.AddMetadata("general.architecture", "phi3");
            foreach (var type in types)
                writer.AddTensor(type.ToString(), type, new long[] { 256, 3 });
            var random = new Random(1);
            foreach (var type in types)
            {
                var bytes = new byte[GgmlTypeInfo.RowByteSize(type, 256) * 3];
                random.NextBytes(bytes);
                data[type.ToString()] = bytes;
                writer.WriteTensorData(type.ToString(), bytes);
            }
            writer.Finish();
        }

        using var file = GgufFile.Open(path, new TensorFileOptions { UseMemoryMap = useMemoryMap });
        Assert.Equal(types.Length, file.Tensors.Count);
        Assert.Equal(0, file.DataOffset % 32);
        foreach (var type in types)
        {
            Assert.True(file.TryGetTensor(type.ToString(), out WeightTensor tensor));
            Assert.Equal(type, tensor.Type);
            Assert.Equal(new long[] { 256, 3 }, tensor.Dims);
            Assert.Equal(256, tensor.RowLength);
            Assert.Equal(3, tensor.Rows);
            Assert.Equal(0, ((long)tensor.Data - file.DataOffset) % 32);
            Assert.Equal(data[type.ToString()], tensor.Bytes.ToArray());
        }
        Assert.False(file.TryGetTensor("missing", out _));
    }

    [Fact]
    public void A_custom_alignment_is_honoured()
    {
        string path = _temp.File("aligned.gguf");
        using (var writer = new GgufWriter(path))
        {
            writer.AddMetadata(GgufFile.AlignmentKey, 64u);
            writer.AddTensor("a", GgmlType.F32, new long[] { 3 });
            writer.AddTensor("b", GgmlType.F32, new long[] { 5 });
            writer.WriteTensorData("a", new byte[12]);
            writer.WriteTensorData("b", new byte[20]);
            writer.Finish();
        }
        using var file = GgufFile.Open(path);
        Assert.Equal(64u, file.Alignment);
        Assert.Equal(0, file.DataOffset % 64);
        Assert.True(file.TryGetTensorInfo("b", out var b));
        Assert.Equal(64, b.Offset);
    }

    [Fact]
    public void GGUF_version_2_is_accepted()
    {
        string path = new RawGguf().Header(0, 1, version: 2).KeyValueUInt32("k", 7).WriteTo(_temp.File("v2.gguf"));
        using var file = GgufFile.Open(path);
        Assert.Equal(2u, file.Version);
        Assert.Equal(7u, file.GetUInt32("k"));
    }

    [Fact]
    public void GgufWriter_refuses_data_out_of_declaration_order_or_of_the_wrong_size()
    {
        using var writer = new GgufWriter(_temp.File("w.gguf"));
        writer.AddTensor("a", GgmlType.Q8_0, new long[] { 32 });
        writer.AddTensor("b", GgmlType.Q8_0, new long[] { 32 });
        Assert.Throws<ArgumentException>(() => writer.AddTensor("a", GgmlType.F32, new long[] { 1 }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("c", GgmlType.Q4_0, new long[] { 33 }));
        Assert.Throws<InvalidOperationException>(() => writer.WriteTensorData("b", new byte[34]));
        Assert.Throws<ArgumentException>(() => writer.WriteTensorData("a", new byte[33]));
        writer.WriteTensorData("a", new byte[34]);
        Assert.Throws<InvalidOperationException>(() => writer.AddMetadata("late", 1));
        Assert.Throws<InvalidOperationException>(writer.Finish);
    }
}
