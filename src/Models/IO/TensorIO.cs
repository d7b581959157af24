namespace Interp.IO;

/// <summary>Tensors to and from safetensors entries.</summary>
public static class TensorIO
{
    /// <summary>A tensor as a writer entry: F32, F64 or I32 after its dtype.</summary>
    public static (string name, string dtype, long[] shape, ReadOnlyMemory<byte> data) Entry(string name, Tensor t)
    {
        long[] shape = t.ShapeArray.Select(d => (long)d).ToArray();
        return t.DType switch
        {
            DType.Float32 => SafeTensorsWriter.F32(name, shape, t.ToFloatArray()),
            DType.Float64 => SafeTensorsWriter.F64(name, shape, t.ToDoubleArray()),
            _ => SafeTensorsWriter.I32(name, shape, t.ToIntArray()),
        };
    }

    /// <summary>One tensor of a file: F64 as float64, other floats as float32, integers and bools as int32.</summary>
    public static Tensor Read(SafeTensorsFile file, string name)
    {
        var info = file[name];
        int[] shape = info.Shape.Select(d => checked((int)d)).ToArray();
        return info.DType switch
        {
            "F64" => Tensor.FromArray(file.ReadFloat64(name), shape),
            "F32" or "F16" or "BF16" => Tensor.FromArray(file.ReadFloat32(name), shape),
            _ => Tensor.FromArray(file.ReadInt32(name), shape),
        };
    }

    /// <summary>Every tensor of a file by name (optionally only those whose name starts with <paramref name="prefix"/>, which is removed).</summary>
    public static Dictionary<string, Tensor> ReadAll(SafeTensorsFile file, string prefix = "") =>
        file.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(n => n[prefix.Length..], n => Read(file, n));
}
