using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Interp.IO;

/// <summary>
/// A torch.save file is malformed, or its pickle asks for an opcode or a class outside the small set that a
/// state dict of tensors needs. The message names the file, the problem and (for pickle problems) the byte
/// offset in data.pkl.
/// </summary>
public sealed class TorchPickleException : Exception
{
    public TorchPickleException(string message) : base(message) { }
    public TorchPickleException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>
/// A restricted pickle machine for the data.pkl of torch.save: it builds plain values (strings, integers,
/// floats, tuples, lists, dicts) and tensor descriptions, and never imports or calls anything. The only
/// globals it knows are an allow-list of names, each given a fixed meaning below.
/// </summary>
internal sealed class TorchPickle
{
    /// <summary>A persistent reference to one storage record (archive/data/KEY) of a zip checkpoint.</summary>
    internal sealed record StorageRef(string Key, string Type, long Numel);

    /// <summary>What _rebuild_tensor_v2 describes: a strided view into a storage.</summary>
    internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    /// <summary>A pickle dict: insertion-ordered, as OrderedDict and dict both are.</summary>
    internal sealed class PyDict
    {
        public readonly List<KeyValuePair<object, object?>> Items = [];
        readonly Dictionary<object, int> index = [];
        public void Set(object key, object? value)
        {
            if (index.TryGetValue(key, out int i)) Items[i] = new(key, value);
            else { index[key] = Items.Count; Items.Add(new(key, value)); }
        }
    }

    sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    static readonly HashSet<string> StorageTypes =
        ["FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage", "ByteStorage", "BoolStorage"];

    static bool Allowed(Global g) => (g.Module, g.Name) switch
    {
        ("collections", "OrderedDict") => true,
        ("torch._utils", "_rebuild_tensor_v2") => true,
        ("torch._utils", "_rebuild_parameter") => true,
        ("torch", var n) => StorageTypes.Contains(n),
        _ => false,
    };

    readonly string file;
    readonly byte[] data;
    int pos;
    int opStart;
    string opName = "";
    readonly List<object?> stack = [];
    readonly Stack<int> marks = new();
    readonly Dictionary<long, object?> memo = [];

    TorchPickle(string file, byte[] data) { this.file = file; this.data = data; }

    /// <summary>Runs the pickle to its STOP and returns the value it built.</summary>
    public static object? Run(string file, byte[] data) => new TorchPickle(file, data).Run();

    TorchPickleException Fail(string problem) =>
        new($"Refusing torch file '{file}': {problem} (opcode {opName} at byte {opStart} of data.pkl)");

    object? Run()
    {
        while (true)
        {
            opStart = pos;
            byte op = Byte();
            opName = OpName(op);
            switch (op)
            {
                case 0x80: Byte(); break;                                   // PROTO n
                case 0x95: Bytes(8); break;                                 // FRAME len: a hint only
                case (byte)'.': return stack.Count == 1 ? stack[0] : throw Fail($"STOP with {stack.Count} values on the stack");
                case (byte)'(': marks.Push(stack.Count); break;             // MARK
                case (byte)'}': stack.Add(new PyDict()); break;             // EMPTY_DICT
                case (byte)']': stack.Add(new List<object?>()); break;      // EMPTY_LIST
                case (byte)')': stack.Add(Array.Empty<object?>()); break;   // EMPTY_TUPLE
                case (byte)'t': stack.Add(PopMark().ToArray()); break;      // TUPLE
                case 0x85: stack.Add(PopN(1)); break;                       // TUPLE1
                case 0x86: stack.Add(PopN(2)); break;                       // TUPLE2
                case 0x87: stack.Add(PopN(3)); break;                       // TUPLE3
                case (byte)'N': stack.Add(null); break;                     // NONE
                case 0x88: stack.Add(true); break;                          // NEWTRUE
                case 0x89: stack.Add(false); break;                         // NEWFALSE
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))); break;  // BININT
                case (byte)'K': stack.Add((long)Byte()); break;                                            // BININT1
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))); break; // BININT2
                case 0x8a: stack.Add(Long1()); break;                                                      // LONG1
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break;          // BINFLOAT
                case (byte)'X': stack.Add(Utf8(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break; // BINUNICODE
                case 0x8c: stack.Add(Utf8(Byte())); break;                                                 // SHORT_BINUNICODE
                case (byte)'q': memo[Byte()] = Top(); break;                                               // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))] = Top(); break;    // LONG_BINPUT
                case 0x94: memo[memo.Count] = Top(); break;                                                // MEMOIZE
                case (byte)'h': stack.Add(Memo(Byte())); break;                                            // BINGET
                case (byte)'j': stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break; // LONG_BINGET
                case (byte)'0': Pop(); break;                                                              // POP
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItems(Top(), [k, v]); break; }          // SETITEM
                case (byte)'u': { var kv = PopMark(); SetItems(Top(), kv); break; }                        // SETITEMS
                case (byte)'a': Append(Top(), [Pop()]); break;                                             // APPEND
                case (byte)'e': { var xs = PopMark(); Append(Top(), xs); break; }                          // APPENDS
                case (byte)'c': stack.Add(Resolve(Line(), Line())); break;                                 // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); stack.Add(Resolve(Str(module), Str(name))); break; } // STACK_GLOBAL
                case (byte)'Q': stack.Add(PersistentLoad(Pop())); break;                                   // BINPERSID
                case (byte)'R': { var args = Pop(); var f = Pop(); stack.Add(Reduce(f, args)); break; }    // REDUCE
                case (byte)'b': { var state = Pop(); Build(Top(), state); break; }                         // BUILD
                default: throw Fail($"opcode 0x{op:x2} is not supported");
            }
        }
    }

    // ---- reading ----

    byte Byte()
    {
        if (pos >= data.Length) throw Fail($"data.pkl ends ({data.Length} bytes) before the pickle's STOP");
        return data[pos++];
    }

    ReadOnlySpan<byte> Bytes(long n)
    {
        if (n > data.Length - pos) throw Fail($"data.pkl ends ({data.Length} bytes) inside an argument of {n} bytes");
        var s = data.AsSpan(pos, (int)n);
        pos += (int)n;
        return s;
    }

    string Utf8(long n)
    {
        try { return new UTF8Encoding(false, true).GetString(Bytes(n)); }
        catch (DecoderFallbackException) { throw Fail("string is not valid UTF-8"); }
    }

    string Line()
    {
        int end = Array.IndexOf(data, (byte)'\n', pos);
        if (end < 0) throw Fail("GLOBAL name has no terminating newline");
        string s = Encoding.ASCII.GetString(data, pos, end - pos);
        pos = end + 1;
        return s;
    }

    long Long1()
    {
        var b = Bytes(Byte());
        var v = new BigInteger(b, isUnsigned: false, isBigEndian: false);
        if (v < long.MinValue || v > long.MaxValue) throw Fail($"integer {v} does not fit in 64 bits");
        return (long)v;
    }

    // ---- the stack ----

    object? Top() => stack.Count > 0 ? stack[^1] : throw Fail("the stack is empty");

    object? Pop()
    {
        var v = Top();
        stack.RemoveAt(stack.Count - 1);
        return v;
    }

    object?[] PopN(int n)
    {
        if (stack.Count - (marks.Count > 0 ? marks.Peek() : 0) < n) throw Fail($"needs {n} values on the stack");
        var r = stack.GetRange(stack.Count - n, n).ToArray();
        stack.RemoveRange(stack.Count - n, n);
        return r;
    }

    List<object?> PopMark()
    {
        if (marks.Count == 0) throw Fail("no MARK to pop to");
        int m = marks.Pop();
        var r = stack.GetRange(m, stack.Count - m);
        stack.RemoveRange(m, stack.Count - m);
        return r;
    }

    object? Memo(long i) => memo.TryGetValue(i, out var v) ? v : throw Fail($"memo slot {i} was never written");

    static string Describe(object? v) => v switch
    {
        null => "None",
        Global g => g.ToString(),
        object?[] => "tuple",
        _ => v.GetType().Name,
    };

    string Str(object? v) => v as string ?? throw Fail($"expected a string, found {Describe(v)}");

    long Int(object? v, string what) => v is long l ? l : throw Fail($"{what} must be an integer, found {Describe(v)}");

    // ---- building ----

    void SetItems(object? target, List<object?> kv)
    {
        if (target is not PyDict d) throw Fail($"SETITEM(S) on a {Describe(target)}, not a dict");
        if (kv.Count % 2 != 0) throw Fail("SETITEMS with an odd number of values");
        for (int i = 0; i < kv.Count; i += 2)
        {
            if (kv[i] is not (string or long or bool)) throw Fail($"dict key of type {Describe(kv[i])} is not supported");
            d.Set(kv[i]!, kv[i + 1]);
        }
    }

    void Append(object? target, List<object?> xs)
    {
        if (target is not List<object?> l) throw Fail($"APPEND(S) on a {Describe(target)}, not a list");
        l.AddRange(xs);
    }

    Global Resolve(string module, string name)
    {
        var g = new Global(module, name);
        if (!Allowed(g)) throw Fail($"global '{g}' is not allowed (only OrderedDict, torch tensor rebuilds and torch storage types are)");
        return g;
    }

    StorageRef PersistentLoad(object? pid)
    {
        // torch.save writes ('storage', <storage type>, key, location, numel).
        if (pid is not object?[] { Length: 5 } t || t[0] is not "storage")
            throw Fail($"persistent id {Describe(pid)} is not a ('storage', type, key, location, numel) tuple");
        if (t[1] is not Global { Module: "torch" } type || !StorageTypes.Contains(type.Name))
            throw Fail($"persistent id names {Describe(t[1])}, not a torch storage type");
        long numel = Int(t[4], "storage numel");
        if (numel < 0) throw Fail($"storage numel {numel} is negative");
        return new StorageRef(Str(t[2]), type.Name, numel);
    }

    object? Reduce(object? f, object? args)
    {
        if (f is not Global g) throw Fail($"REDUCE of a {Describe(f)}, which is not callable here");
        if (args is not object?[] a) throw Fail($"REDUCE of {g} with {Describe(args)} arguments instead of a tuple");
        switch (g.Module, g.Name)
        {
            case ("collections", "OrderedDict") when a.Length == 0:
                return new PyDict();
            case ("torch._utils", "_rebuild_tensor_v2") when a.Length is 6 or 7:
                if (a[0] is not StorageRef s) throw Fail($"_rebuild_tensor_v2 storage argument is a {Describe(a[0])}");
                return new TensorRef(s, Int(a[1], "storage offset"), Ints(a[2], "size"), Ints(a[3], "stride"));
            case ("torch._utils", "_rebuild_parameter") when a.Length == 3:
                return a[0] as TensorRef ?? throw Fail($"_rebuild_parameter of a {Describe(a[0])}, not a tensor");
            default:
                throw Fail($"calling {g} with {a.Length} arguments is not supported");
        }
    }

    long[] Ints(object? v, string what)
    {
        if (v is not object?[] t) throw Fail($"tensor {what} must be a tuple, found {Describe(v)}");
        return Array.ConvertAll(t, x => Int(x, $"tensor {what} entry"));
    }

    void Build(object? target, object? state)
    {
        // OrderedDict state is its __dict__ (torch puts the module versions in `_metadata`): nothing to keep.
        if (target is not PyDict) throw Fail($"BUILD on a {Describe(target)} is not supported");
        if (state is not (null or PyDict)) throw Fail($"BUILD of a dict with {Describe(state)} state is not supported");
    }

    static string OpName(byte op) => op switch
    {
        0x80 => "PROTO", 0x95 => "FRAME", (byte)'.' => "STOP", (byte)'(' => "MARK", (byte)'}' => "EMPTY_DICT",
        (byte)']' => "EMPTY_LIST", (byte)')' => "EMPTY_TUPLE", (byte)'t' => "TUPLE", 0x85 => "TUPLE1", 0x86 => "TUPLE2",
        0x87 => "TUPLE3", (byte)'N' => "NONE", 0x88 => "NEWTRUE", 0x89 => "NEWFALSE", (byte)'J' => "BININT",
        (byte)'K' => "BININT1", (byte)'M' => "BININT2", 0x8a => "LONG1", (byte)'G' => "BINFLOAT", (byte)'X' => "BINUNICODE",
        0x8c => "SHORT_BINUNICODE", (byte)'q' => "BINPUT", (byte)'r' => "LONG_BINPUT", 0x94 => "MEMOIZE",
        (byte)'h' => "BINGET", (byte)'j' => "LONG_BINGET", (byte)'0' => "POP", (byte)'s' => "SETITEM",
        (byte)'u' => "SETITEMS", (byte)'a' => "APPEND", (byte)'e' => "APPENDS", (byte)'c' => "GLOBAL",
        0x93 => "STACK_GLOBAL", (byte)'Q' => "BINPERSID", (byte)'R' => "REDUCE", (byte)'b' => "BUILD",
        0x82 => "EXT1", 0x83 => "EXT2", 0x84 => "EXT4", (byte)'i' => "INST", (byte)'o' => "OBJ", 0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX", (byte)'P' => "PERSID", (byte)'C' => "SHORT_BINBYTES", (byte)'B' => "BINBYTES",
        _ => $"0x{op:x2}",
    };
}
