using System.Runtime.InteropServices;
using System.Text;
using PhiSharp.Formats;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Formats;

public class SafetensorsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static SafetensorsTensorData Floats(string name, long[] shape, Func<int, float> value)
    {
        int count = (int)shape.Aggregate(1L, (p, d) => p * d);
        var floats = Enumerable.Range(0, count).Select(value).ToArray();
        return new(name, SafetensorsDType.F32, shape, MemoryMarshal.AsBytes(floats.AsSpan()).ToArray());
    }

    private static SafetensorsTensorData Bf16s(string name, long[] shape) =>
        new(name, SafetensorsDType.BF16, shape, new byte[2 * shape.Aggregate(1L, (p, d) => p * d)]);

    private string WriteRawFile(string name, string headerJson, int dataBytes)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + dataBytes];
        BitConverter.TryWriteBytes(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        string path = _temp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ModelFormatException OpenFails(string path, string expectedInMessage)
    {
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Contains(expectedInMessage, e.Message);
        return e;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public unsafe void Torch_shape_out_by_in_comes_out_as_ggml_dims_in_by_out(bool useMemoryMap)
    {
        string path = _temp.File("model.safetensors");
        SafetensorsWriter.Write(path, [Floats("q_proj.weight", [3, 5], i => i), Bf16s("norm.weight", [5])],
            new Dictionary<string, string> { ["format"] = "pt" });

        using var file = SafetensorsFile.Open(path, new TensorFileOptions { UseMemoryMap = useMemoryMap });
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(0, file.DataOffset % 8);
        Assert.True(file.TryGetTensor("q_proj.weight", out var weight));
        Assert.Equal(GgmlType.F32, weight.Type);
        Assert.Equal(new long[] { 5, 3 }, weight.Dims);
        Assert.Equal(5, weight.RowLength);
        Assert.Equal(3, weight.Rows);
        Assert.Equal(7f, MemoryMarshal.Cast<byte, float>(weight.Bytes)[7]);
        Assert.True(file.TryGetTensor("norm.weight", out var norm));
        Assert.Equal(GgmlType.BF16, norm.Type);
        Assert.Equal(new[] { 3L, 5 }, file.Tensors[0].Shape);
    }

    [Fact]
    public void Non_float_tensors_throw_UnsupportedModelException_when_used_as_weights_but_read_raw()
    {
        string path = _temp.File("ids.safetensors");
        SafetensorsWriter.Write(path, [new("position_ids", SafetensorsDType.I64, [2], BitConverter.GetBytes(7L).Concat(BitConverter.GetBytes(9L)).ToArray())]);
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<UnsupportedModelException>(() => file.TryGetTensor("position_ids", out _));
        Assert.Contains("'position_ids' is I64", e.Message);
        Assert.Equal(9L, MemoryMarshal.Cast<byte, long>(file.GetTensorBytes("position_ids"))[1]);
    }

    [Fact]
    public void Sharded_checkpoint_presents_every_shard_as_one_source()
    {
        SafetensorsWriter.Write(_temp.File("model-00001-of-00002.safetensors"), [Floats("a", [2, 4], i => i)]);
        SafetensorsWriter.Write(_temp.File("model-00002-of-00002.safetensors"), [Floats("b", [4], i => -i), Floats("unlisted", [1], i => 0)]);
        SafetensorsWriter.WriteIndex(_temp.File(SafetensorsCheckpoint.IndexFileName), new Dictionary<string, string>
        {
            ["a"] = "model-00001-of-00002.safetensors",
            ["b"] = "model-00002-of-00002.safetensors",
        });

        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        Assert.Equal(2, checkpoint.Shards.Count);
        Assert.Equal(new[] { "a", "b" }, checkpoint.TensorNames.Order());
        Assert.True(checkpoint.TryGetTensor("a", out var a));
        Assert.Equal(new long[] { 4, 2 }, a.Dims);
        Assert.True(checkpoint.TryGetTensor("b", out var b));
        Assert.Equal(-3f, MemoryMarshal.Cast<byte, float>(b.Bytes)[3]);
        Assert.False(checkpoint.TryGetTensor("c", out _));
    }

    [Fact]
    public void Folder_without_an_index_opens_its_model_safetensors()
    {
        SafetensorsWriter.Write(_temp.File(SafetensorsCheckpoint.SingleFileName), [Floats("w", [2], i => i)]);
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        Assert.Equal(new[] { "w" }, checkpoint.TensorNames);
    }

    [Fact]
    public void Index_naming_a_missing_shard_throws_ModelFormatException_naming_index_and_shard()
    {
        string index = _temp.File(SafetensorsCheckpoint.IndexFileName);
        SafetensorsWriter.WriteIndex(index, new Dictionary<string, string> { ["a"] = "gone.safetensors" });
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsCheckpoint.Open(index).Dispose());
        Assert.Equal(index, e.FilePath);
        Assert.Contains("'gone.safetensors'", e.Message);
    }

    [Fact]
    public void Index_mapping_a_tensor_to_a_shard_without_it_throws_ModelFormatException()
    {
        SafetensorsWriter.Write(_temp.File("s.safetensors"), [Floats("a", [1], i => 0)]);
        string index = _temp.File(SafetensorsCheckpoint.IndexFileName);
        SafetensorsWriter.WriteIndex(index, new Dictionary<string, string> { ["b"] = "s.safetensors" });
        var e = Assert.Throws<ModelFormatException>(() => SafetensorsCheckpoint.Open(index).Dispose());
        Assert.Contains("tensor 'b' is mapped to shard 's.safetensors'", e.Message);
    }

    [Theory]
    [InlineData("../escape.safetensors")]
    [InlineData("")]
    public void Index_shard_names_must_be_plain_file_names(string shard)
    {
        string index = _temp.File(SafetensorsCheckpoint.IndexFileName);
        SafetensorsWriter.WriteIndex(index, new Dictionary<string, string> { ["a"] = shard });
        Assert.Throws<ModelFormatException>(() => SafetensorsCheckpoint.Open(index).Dispose());
    }

    [Fact]
    public void Index_that_is_not_JSON_throws_ModelFormatException()
    {
        string index = _temp.File(SafetensorsCheckpoint.IndexFileName);
        File.WriteAllText(index, "{ \"weight_map\": ");
        Assert.Throws<ModelFormatException>(() => SafetensorsCheckpoint.Open(index).Dispose());
    }

    [Fact]
    public void Header_that_is_not_JSON_throws_ModelFormatException() =>
        OpenFails(WriteRawFile("json.safetensors", "{\"a\": {\"dtype\": ", 0), "header is not valid JSON");

    [Fact]
    public void Header_length_beyond_the_file_throws_ModelFormatException()
    {
        string path = _temp.File("length.safetensors");
        File.WriteAllBytes(path, BitConverter.GetBytes(1UL << 50).Concat(new byte[16]).ToArray());
        OpenFails(path, "header length");
        File.WriteAllBytes(path, new byte[5]);
        OpenFails(path, "truncated");
    }

    [Fact]
    public void Data_offsets_beyond_the_data_section_throw_ModelFormatException_naming_the_tensor() =>
        OpenFails(WriteRawFile("offsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
            "tensor 'w' data_offsets [0, 16] lie outside");

    [Fact]
    public void Data_size_that_disagrees_with_shape_throws_ModelFormatException() =>
        OpenFails(WriteRawFile("size.safetensors", "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8),
            "which takes 12 bytes, but its data_offsets span 8");

    [Fact]
    public void Overlapping_tensors_throw_ModelFormatException() =>
        OpenFails(WriteRawFile("overlap.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
            "overlap");

    [Fact]
    public void Malformed_entries_throw_ModelFormatException()
    {
        OpenFails(WriteRawFile("shape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "\"shape\" holds -1");
        OpenFails(WriteRawFile("nooffsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "no \"data_offsets\"");
        OpenFails(WriteRawFile("array.safetensors", "[1,2]", 0), "expected an object");
        OpenFails(WriteRawFile("meta.safetensors", "{\"__metadata__\":{\"n\":1}}", 0), "__metadata__ 'n'");
        OpenFails(WriteRawFile("dup.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
            "'w' appears twice");
    }

    [Fact]
    public void Unknown_dtype_throws_UnsupportedModelException_naming_the_tensor()
    {
        string path = WriteRawFile("dtype.safetensors", "{\"w\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}", 1);
        var e = Assert.Throws<UnsupportedModelException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains("tensor 'w' has dtype \"F4\"", e.Message);
    }
}
