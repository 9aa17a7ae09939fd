using PhiSharp.Formats.Gguf;

namespace PhiSharp.Tests.Formats;

public class GgufMetadataAccessTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly GgufFile _file;

    public GgufMetadataAccessTests()
    {
        string path = _temp.File("meta.gguf");
        using (var writer = new GgufWriter(path))
        {
            writer.AddMetadata("small", (byte)5);
            writer.AddMetadata("negative", -1);
            writer.AddMetadata("name", "phi");
            writer.AddArray<float>("floats", new[] { 1f });
            writer.Finish();
        }
        _file = GgufFile.Open(path);
    }

    public void Dispose()
    {
        _file.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Integer_accessors_accept_any_integer_width_that_fits()
    {
        Assert.Equal(5u, _file.GetUInt32("small"));
        Assert.Equal(5L, _file.GetInt64("small"));
        Assert.Equal(-1L, _file.GetInt64("negative"));
    }

    [Fact]
    public void Integer_accessor_throws_ModelFormatException_when_the_value_does_not_fit()
    {
        var e = Assert.Throws<ModelFormatException>(() => _file.GetUInt32("negative"));
        Assert.Contains("'negative'", e.Message);
    }

    [Fact]
    public void Missing_key_throws_ModelFormatException_naming_file_and_key()
    {
        var e = Assert.Throws<ModelFormatException>(() => _file.GetString("general.architecture"));
        Assert.Equal(_file.Path, e.FilePath);
        Assert.Contains("'general.architecture' is missing", e.Message);
        Assert.False(_file.TryGetString("general.architecture", out _));
    }

    [Fact]
    public void Wrongly_typed_key_throws_ModelFormatException_naming_both_kinds()
    {
        var e = Assert.Throws<ModelFormatException>(() => _file.GetFloat32("name"));
        Assert.Contains("'name' is String, expected Float32", e.Message);
        Assert.Throws<ModelFormatException>(() => _file.TryGetUInt32("name", out _));
        var array = Assert.Throws<ModelFormatException>(() => _file.GetInt32Array("floats"));
        Assert.Contains("array of Float32, expected array of Int32", array.Message);
    }

    [Fact]
    public void TryGet_finds_present_keys()
    {
        Assert.True(_file.TryGetString("name", out string name));
        Assert.Equal("phi", name);
        Assert.True(_file.TryGetFloat32Array("floats", out float[] floats));
        Assert.Equal(new[] { 1f }, floats);
    }
}
