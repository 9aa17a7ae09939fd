using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Formats;

/// <summary>Every malformed file raises a typed exception naming the file (and the field or tensor at fault),
/// without crashing, hanging or allocating from a corrupt length.</summary>
public class GgufValidationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModelFormatException OpenFails(string path, string expectedInMessage)
    {
        var e = Assert.Throws<ModelFormatException>(() => GgufFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expectedInMessage, e.Message);
        return e;
    }

    /// <summary>One metadata entry, one 32×2 Q8_0 tensor: a small file with every section.</summary>
    private string WriteValidFile(string name = "valid.gguf")
    {
        string path = _temp.File(name);
        using var writer = new GgufWriter(path);
        writer.AddMetadata("general.name", "tiny");
        writer.AddArray("tokens", new[] { "a", "b" });
        writer.AddTensor("w", GgmlType.Q8_0, new long[] { 32, 2 });
        writer.WriteTensorData("w", new byte[68]);
        writer.Finish();
        return path;
    }

    [Fact]
    public void GgufFile_with_wrong_magic_throws_ModelFormatException_naming_the_file() =>
        OpenFails(new RawGguf().Header(0, 0, magic: 0x46554746).WriteTo(_temp.File("magic.gguf")), "not a GGUF file");

    [Theory]
    [InlineData(1u)]
    [InlineData(4u)]
    [InlineData(0x03000000u)]
    public void GgufFile_with_unsupported_version_throws_ModelFormatException(uint version) =>
        OpenFails(new RawGguf().Header(0, 0, version).WriteTo(_temp.File("version.gguf")), $"version {version}");

    [Fact]
    public void Empty_file_throws_ModelFormatException_as_truncated()
    {
        string path = _temp.File("empty.gguf");
        File.WriteAllBytes(path, []);
        OpenFails(path, "truncated");
    }

    [Fact]
    public void File_truncated_anywhere_before_the_end_of_its_tensor_data_throws_ModelFormatException()
    {
        string valid = WriteValidFile();
        byte[] bytes = File.ReadAllBytes(valid);
        long dataEnd;
        using (var file = GgufFile.Open(valid)) dataEnd = file.DataOffset + file.Tensors[0].ByteLength;

        string cut = _temp.File("cut.gguf");
        for (int length = 0; length < dataEnd; length++)
        {
            File.WriteAllBytes(cut, bytes[..length]);
            var e = Assert.Throws<ModelFormatException>(() => GgufFile.Open(cut).Dispose());
            Assert.Equal(cut, e.FilePath);
        }
    }

    [Fact]
    public void Randomly_corrupted_files_only_ever_throw_typed_exceptions()
    {
        byte[] valid = File.ReadAllBytes(WriteValidFile());
        string path = _temp.File("fuzz.gguf");
        var random = new Random(12345);
        for (int trial = 0; trial < 1000; trial++)
        {
            byte[] bytes = (byte[])valid.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = GgufFile.Open(path);
                foreach (var value in file.Metadata) _ = value.ToString();
            }
            catch (ModelFormatException) { }
            catch (UnsupportedModelException) { }
        }
    }

    [Fact]
    public void Huge_string_length_throws_ModelFormatException_without_allocating_it()
    {
        string path = new RawGguf().Header(0, 1).U64(1UL << 62).Zeros(32).WriteTo(_temp.File("string.gguf"));
        OpenFails(path, "key of metadata entry 0");
    }

    [Fact]
    public void Huge_array_length_throws_ModelFormatException_naming_the_key()
    {
        string path = new RawGguf().Header(0, 1).String("tokenizer.ggml.tokens").U32((uint)GgufValueType.Array)
            .U32((uint)GgufValueType.String).U64(1UL << 60).String("a").WriteTo(_temp.File("array.gguf"));
        OpenFails(path, "'tokenizer.ggml.tokens'");
    }

    [Fact]
    public void Huge_metadata_or_tensor_count_throws_ModelFormatException()
    {
        OpenFails(new RawGguf().Header(0, ulong.MaxValue).WriteTo(_temp.File("kv.gguf")), "metadata count");
        OpenFails(new RawGguf().Header(1UL << 40, 0).WriteTo(_temp.File("tensors.gguf")), "tensor infos");
    }

    [Fact]
    public void Arrays_nested_too_deep_throw_ModelFormatException()
    {
        var raw = new RawGguf().Header(0, 1).String("deep").U32((uint)GgufValueType.Array);
        for (int i = 0; i < 20; i++) raw.U32((uint)GgufValueType.Array).U64(1);
        OpenFails(raw.WriteTo(_temp.File("deep.gguf")), "nests arrays deeper");
    }

    [Fact]
    public void Unknown_metadata_value_type_throws_ModelFormatException() =>
        OpenFails(new RawGguf().Header(0, 1).String("k").U32(13).U32(0).WriteTo(_temp.File("kind.gguf")),
            "'k' has unknown value type 13");

    [Fact]
    public void Duplicate_metadata_keys_throw_ModelFormatException() =>
        OpenFails(new RawGguf().Header(0, 2).KeyValueUInt32("k", 1).KeyValueUInt32("k", 2).WriteTo(_temp.File("dupkey.gguf")),
            "'k' appears twice");

    [Fact]
    public void Tensor_data_out_of_bounds_throws_ModelFormatException_naming_the_tensor()
    {
        string path = new RawGguf().Header(1, 0).TensorInfo("blk.0.ffn_up.weight", GgmlType.F32, 0, 64)
            .PadTo(32).Zeros(100).WriteTo(_temp.File("bounds.gguf"));
        OpenFails(path, "tensor 'blk.0.ffn_up.weight' data (256 bytes at offset 0) lies beyond the end");
    }

    [Fact]
    public void Tensor_offset_far_beyond_the_file_throws_ModelFormatException()
    {
        string path = new RawGguf().Header(1, 0).TensorInfo("w", GgmlType.F32, long.MaxValue - 31, 8)
            .PadTo(32).Zeros(32).WriteTo(_temp.File("offset.gguf"));
        OpenFails(path, "tensor 'w'");
    }

    [Fact]
    public void Misaligned_tensor_offset_throws_ModelFormatException() =>
        OpenFails(new RawGguf().Header(1, 0).TensorInfo("w", GgmlType.F32, 4, 1).PadTo(32).Zeros(64)
            .WriteTo(_temp.File("misaligned.gguf")), "not a multiple of the alignment 32");

    [Fact]
    public void Dims_whose_size_overflows_throw_ModelFormatException() =>
        OpenFails(new RawGguf().Header(1, 0).TensorInfo("w", GgmlType.F32, 0, 1UL << 40, 1UL << 40, 1UL << 40)
            .PadTo(32).WriteTo(_temp.File("overflow.gguf")), "overflows");

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Tensor_with_no_or_too_many_dims_throws_ModelFormatException(int dimCount) =>
        OpenFails(new RawGguf().Header(1, 0).TensorInfo("w", GgmlType.F32, 0, Enumerable.Repeat(2UL, dimCount).ToArray())
            .PadTo(32).Zeros(256).WriteTo(_temp.File("dims.gguf")), $"has {dimCount} dims");

    [Fact]
    public void Zero_dim_throws_ModelFormatException() =>
        OpenFails(new RawGguf().Header(1, 0).TensorInfo("w", GgmlType.F32, 0, 4, 0).PadTo(32)
            .WriteTo(_temp.File("zero.gguf")), "dim 1 = 0");

    [Fact]
    public void Row_length_not_a_multiple_of_the_block_size_throws_ModelFormatException() =>
        OpenFails(new RawGguf().Header(1, 0).TensorInfo("w", GgmlType.Q4_0, 0, 48, 2).PadTo(32).Zeros(256)
            .WriteTo(_temp.File("block.gguf")), "rows of 48 elements, not a multiple of the q4_0 block size 32");

    [Fact]
    public void Duplicate_tensor_names_throw_ModelFormatException() =>
        OpenFails(new RawGguf().Header(2, 0).TensorInfo("w", GgmlType.F32, 0, 8).TensorInfo("w", GgmlType.F32, 32, 8)
            .PadTo(32).Zeros(64).WriteTo(_temp.File("duptensor.gguf")), "tensor 'w' appears twice");

    [Fact]
    public void Two_tensors_at_one_offset_throw_ModelFormatException_naming_both() =>
        OpenFails(new RawGguf().Header(2, 0).TensorInfo("a", GgmlType.F32, 0, 8).TensorInfo("b", GgmlType.F32, 0, 8)
            .PadTo(32).Zeros(64).WriteTo(_temp.File("same-offset.gguf")),
            "tensors 'a' (32 bytes at offset 0) and 'b' (32 bytes at offset 0) overlap");

    [Fact]
    public void Tensors_whose_data_intersect_throw_ModelFormatException_naming_both() =>
        // "late" is listed first but lies inside "long" (64 bytes from offset 0): the check goes by offset, not order.
        OpenFails(new RawGguf().Header(3, 0).TensorInfo("late", GgmlType.F32, 32, 8).TensorInfo("long", GgmlType.F32, 0, 16)
            .TensorInfo("after", GgmlType.F32, 64, 8).PadTo(32).Zeros(96).WriteTo(_temp.File("intersect.gguf")),
            "tensors 'long' (64 bytes at offset 0) and 'late' (32 bytes at offset 32) overlap");

    [Fact]
    public void Adjacent_tensors_do_not_overlap()
    {
        string path = new RawGguf().Header(2, 0).TensorInfo("a", GgmlType.F32, 0, 8).TensorInfo("b", GgmlType.F32, 32, 8)
            .PadTo(32).Zeros(64).WriteTo(_temp.File("adjacent.gguf"));
        using var file = GgufFile.Open(path);
        Assert.Equal(2, file.Tensors.Count);
    }

    [Theory]
    [InlineData(16u)] // IQ2_XXS: real, but not supported
    [InlineData(4u)]  // a number ggml retired
    [InlineData(999u)]
    public void Unknown_tensor_type_throws_UnsupportedModelException_naming_the_tensor(uint type)
    {
        string path = new RawGguf().Header(1, 0).TensorInfo("output.weight", (GgmlType)type, 0, 256)
            .PadTo(32).Zeros(1024).WriteTo(_temp.File("type.gguf"));
        var e = Assert.Throws<UnsupportedModelException>(() => GgufFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Contains($"'output.weight' has ggml type {type}", e.Message);
    }

    [Fact]
    public void Alignment_that_is_not_a_power_of_two_throws_ModelFormatException() =>
        OpenFails(new RawGguf().Header(0, 1).KeyValueUInt32(GgufFile.AlignmentKey, 24).WriteTo(_temp.File("align.gguf")),
            "not a power of two");

    [Fact]
    public void Alignment_of_the_wrong_kind_throws_ModelFormatException() =>
        OpenFails(new RawGguf().Header(0, 1).String(GgufFile.AlignmentKey).U32((uint)GgufValueType.UInt64).U64(32)
            .WriteTo(_temp.File("aligntype.gguf")), "expected UInt32");
}
