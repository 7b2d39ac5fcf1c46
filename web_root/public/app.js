// Built by `npm run build` (web_root/build.mjs) from web_root/src; do not edit.
"use strict";
(() => {
  // src/channels.ts
  var DELIVERY = {
    reliable: "reliable",
    latest: "latest"
  };
  var PUBLISHERS = {
    agents: "game",
    "clients-and-agents": "game + clients"
  };
  function renderChannels(body, count, channels) {
    const rows = channels.map((channel) => {
      const row = document.createElement("tr");
      row.dataset.channel = channel.name;
      row.dataset.channelId = String(channel.id);
      const cells = [
        String(channel.id),
        "",
        channel.encoding || "raw",
        DELIVERY[channel.delivery],
        PUBLISHERS[channel.publishers]
      ];
      for (const text of cells) row.insertCell().textContent = text;
      row.cells[0].className = "num";
      for (const i of [2, 3, 4]) row.cells[i].className = "nowrap";
      const name = document.createElement("div");
      name.className = "mono";
      name.textContent = channel.name;
      const description = document.createElement("div");
      description.className = "description";
      description.textContent = channel.description;
      row.cells[1].append(name, description);
      return row;
    });
    body.replaceChildren(...rows);
    count.textContent = String(channels.length);
  }

  // node_modules/flatbuffers/mjs/constants.js
  var SIZEOF_SHORT = 2;
  var SIZEOF_INT = 4;
  var FILE_IDENTIFIER_LENGTH = 4;
  var SIZE_PREFIX_LENGTH = 4;

  // node_modules/flatbuffers/mjs/utils.js
  var int32 = new Int32Array(2);
  var float32 = new Float32Array(int32.buffer);
  var float64 = new Float64Array(int32.buffer);
  var isLittleEndian = new Uint16Array(new Uint8Array([1, 0]).buffer)[0] === 1;

  // node_modules/flatbuffers/mjs/encoding.js
  var Encoding;
  (function(Encoding2) {
    Encoding2[Encoding2["UTF8_BYTES"] = 1] = "UTF8_BYTES";
    Encoding2[Encoding2["UTF16_STRING"] = 2] = "UTF16_STRING";
  })(Encoding || (Encoding = {}));

  // node_modules/flatbuffers/mjs/byte-buffer.js
  var ByteBuffer = class _ByteBuffer {
    /**
     * Create a new ByteBuffer with a given array of bytes (`Uint8Array`)
     */
    constructor(bytes_) {
      this.bytes_ = bytes_;
      this.position_ = 0;
      this.text_decoder_ = new TextDecoder();
    }
    /**
     * Create and allocate a new ByteBuffer with a given size.
     */
    static allocate(byte_size) {
      return new _ByteBuffer(new Uint8Array(byte_size));
    }
    clear() {
      this.position_ = 0;
    }
    /**
     * Get the underlying `Uint8Array`.
     */
    bytes() {
      return this.bytes_;
    }
    /**
     * Get the buffer's position.
     */
    position() {
      return this.position_;
    }
    /**
     * Set the buffer's position.
     */
    setPosition(position) {
      this.position_ = position;
    }
    /**
     * Get the buffer's capacity.
     */
    capacity() {
      return this.bytes_.length;
    }
    readInt8(offset) {
      return this.readUint8(offset) << 24 >> 24;
    }
    readUint8(offset) {
      return this.bytes_[offset];
    }
    readInt16(offset) {
      return this.readUint16(offset) << 16 >> 16;
    }
    readUint16(offset) {
      return this.bytes_[offset] | this.bytes_[offset + 1] << 8;
    }
    readInt32(offset) {
      return this.bytes_[offset] | this.bytes_[offset + 1] << 8 | this.bytes_[offset + 2] << 16 | this.bytes_[offset + 3] << 24;
    }
    readUint32(offset) {
      return this.readInt32(offset) >>> 0;
    }
    readInt64(offset) {
      return BigInt.asIntN(64, BigInt(this.readUint32(offset)) + (BigInt(this.readUint32(offset + 4)) << BigInt(32)));
    }
    readUint64(offset) {
      return BigInt.asUintN(64, BigInt(this.readUint32(offset)) + (BigInt(this.readUint32(offset + 4)) << BigInt(32)));
    }
    readFloat32(offset) {
      int32[0] = this.readInt32(offset);
      return float32[0];
    }
    readFloat64(offset) {
      int32[isLittleEndian ? 0 : 1] = this.readInt32(offset);
      int32[isLittleEndian ? 1 : 0] = this.readInt32(offset + 4);
      return float64[0];
    }
    writeInt8(offset, value) {
      this.bytes_[offset] = value;
    }
    writeUint8(offset, value) {
      this.bytes_[offset] = value;
    }
    writeInt16(offset, value) {
      this.bytes_[offset] = value;
      this.bytes_[offset + 1] = value >> 8;
    }
    writeUint16(offset, value) {
      this.bytes_[offset] = value;
      this.bytes_[offset + 1] = value >> 8;
    }
    writeInt32(offset, value) {
      this.bytes_[offset] = value;
      this.bytes_[offset + 1] = value >> 8;
      this.bytes_[offset + 2] = value >> 16;
      this.bytes_[offset + 3] = value >> 24;
    }
    writeUint32(offset, value) {
      this.bytes_[offset] = value;
      this.bytes_[offset + 1] = value >> 8;
      this.bytes_[offset + 2] = value >> 16;
      this.bytes_[offset + 3] = value >> 24;
    }
    writeInt64(offset, value) {
      this.writeInt32(offset, Number(BigInt.asIntN(32, value)));
      this.writeInt32(offset + 4, Number(BigInt.asIntN(32, value >> BigInt(32))));
    }
    writeUint64(offset, value) {
      this.writeUint32(offset, Number(BigInt.asUintN(32, value)));
      this.writeUint32(offset + 4, Number(BigInt.asUintN(32, value >> BigInt(32))));
    }
    writeFloat32(offset, value) {
      float32[0] = value;
      this.writeInt32(offset, int32[0]);
    }
    writeFloat64(offset, value) {
      float64[0] = value;
      this.writeInt32(offset, int32[isLittleEndian ? 0 : 1]);
      this.writeInt32(offset + 4, int32[isLittleEndian ? 1 : 0]);
    }
    /**
     * Return the file identifier.   Behavior is undefined for FlatBuffers whose
     * schema does not include a file_identifier (likely points at padding or the
     * start of a the root vtable).
     */
    getBufferIdentifier() {
      if (this.bytes_.length < this.position_ + SIZEOF_INT + FILE_IDENTIFIER_LENGTH) {
        throw new Error("FlatBuffers: ByteBuffer is too short to contain an identifier.");
      }
      let result = "";
      for (let i = 0; i < FILE_IDENTIFIER_LENGTH; i++) {
        result += String.fromCharCode(this.readInt8(this.position_ + SIZEOF_INT + i));
      }
      return result;
    }
    /**
     * Look up a field in the vtable, return an offset into the object, or 0 if the
     * field is not present.
     */
    __offset(bb_pos, vtable_offset) {
      const vtable = bb_pos - this.readInt32(bb_pos);
      return vtable_offset < this.readInt16(vtable) ? this.readInt16(vtable + vtable_offset) : 0;
    }
    /**
     * Initialize any Table-derived type to point to the union at the given offset.
     */
    __union(t, offset) {
      t.bb_pos = offset + this.readInt32(offset);
      t.bb = this;
      return t;
    }
    /**
     * Create a JavaScript string from UTF-8 data stored inside the FlatBuffer.
     * This allocates a new string and converts to wide chars upon each access.
     *
     * To avoid the conversion to string, pass Encoding.UTF8_BYTES as the
     * "optionalEncoding" argument. This is useful for avoiding conversion when
     * the data will just be packaged back up in another FlatBuffer later on.
     *
     * @param offset
     * @param opt_encoding Defaults to UTF16_STRING
     */
    __string(offset, opt_encoding) {
      offset += this.readInt32(offset);
      const length = this.readInt32(offset);
      offset += SIZEOF_INT;
      const utf8bytes = this.bytes_.subarray(offset, offset + length);
      if (opt_encoding === Encoding.UTF8_BYTES)
        return utf8bytes;
      else
        return this.text_decoder_.decode(utf8bytes);
    }
    /**
     * Handle unions that can contain string as its member, if a Table-derived type then initialize it,
     * if a string then return a new one
     *
     * WARNING: strings are immutable in JS so we can't change the string that the user gave us, this
     * makes the behaviour of __union_with_string different compared to __union
     */
    __union_with_string(o, offset) {
      if (typeof o === "string") {
        return this.__string(offset);
      }
      return this.__union(o, offset);
    }
    /**
     * Retrieve the relative offset stored at "offset"
     */
    __indirect(offset) {
      return offset + this.readInt32(offset);
    }
    /**
     * Get the start of data of a vector whose offset is stored at "offset" in this object.
     */
    __vector(offset) {
      return offset + this.readInt32(offset) + SIZEOF_INT;
    }
    /**
     * Get the length of a vector whose offset is stored at "offset" in this object.
     */
    __vector_len(offset) {
      return this.readInt32(offset + this.readInt32(offset));
    }
    __has_identifier(ident) {
      if (ident.length != FILE_IDENTIFIER_LENGTH) {
        throw new Error("FlatBuffers: file identifier must be length " + FILE_IDENTIFIER_LENGTH);
      }
      for (let i = 0; i < FILE_IDENTIFIER_LENGTH; i++) {
        if (ident.charCodeAt(i) != this.readInt8(this.position() + SIZEOF_INT + i)) {
          return false;
        }
      }
      return true;
    }
    /**
     * A helper function for generating list for obj api
     */
    createScalarList(listAccessor, listLength) {
      const ret = [];
      for (let i = 0; i < listLength; ++i) {
        const val = listAccessor(i);
        if (val !== null) {
          ret.push(val);
        }
      }
      return ret;
    }
    /**
     * A helper function for generating list for obj api
     * @param listAccessor function that accepts an index and return data at that index
     * @param listLength listLength
     * @param res result list
     */
    createObjList(listAccessor, listLength) {
      const ret = [];
      for (let i = 0; i < listLength; ++i) {
        const val = listAccessor(i);
        if (val !== null) {
          ret.push(val.unpack());
        }
      }
      return ret;
    }
  };

  // node_modules/flatbuffers/mjs/builder.js
  var Builder = class _Builder {
    /**
     * Create a FlatBufferBuilder.
     */
    constructor(opt_initial_size) {
      this.minalign = 1;
      this.vtable = null;
      this.vtable_in_use = 0;
      this.isNested = false;
      this.object_start = 0;
      this.vtables = [];
      this.vector_num_elems = 0;
      this.force_defaults = false;
      this.string_maps = null;
      this.text_encoder = new TextEncoder();
      let initial_size;
      if (!opt_initial_size) {
        initial_size = 1024;
      } else {
        initial_size = opt_initial_size;
      }
      this.bb = ByteBuffer.allocate(initial_size);
      this.space = initial_size;
    }
    clear() {
      this.bb.clear();
      this.space = this.bb.capacity();
      this.minalign = 1;
      this.vtable = null;
      this.vtable_in_use = 0;
      this.isNested = false;
      this.object_start = 0;
      this.vtables = [];
      this.vector_num_elems = 0;
      this.force_defaults = false;
      this.string_maps = null;
    }
    /**
     * In order to save space, fields that are set to their default value
     * don't get serialized into the buffer. Forcing defaults provides a
     * way to manually disable this optimization.
     *
     * @param forceDefaults true always serializes default values
     */
    forceDefaults(forceDefaults) {
      this.force_defaults = forceDefaults;
    }
    /**
     * Get the ByteBuffer representing the FlatBuffer. Only call this after you've
     * called finish(). The actual data starts at the ByteBuffer's current position,
     * not necessarily at 0.
     */
    dataBuffer() {
      return this.bb;
    }
    /**
     * Get the bytes representing the FlatBuffer. Only call this after you've
     * called finish().
     */
    asUint8Array() {
      return this.bb.bytes().subarray(this.bb.position(), this.bb.position() + this.offset());
    }
    /**
     * Prepare to write an element of `size` after `additional_bytes` have been
     * written, e.g. if you write a string, you need to align such the int length
     * field is aligned to 4 bytes, and the string data follows it directly. If all
     * you need to do is alignment, `additional_bytes` will be 0.
     *
     * @param size This is the of the new element to write
     * @param additional_bytes The padding size
     */
    prep(size, additional_bytes) {
      if (size > this.minalign) {
        this.minalign = size;
      }
      const align_size = ~(this.bb.capacity() - this.space + additional_bytes) + 1 & size - 1;
      while (this.space < align_size + size + additional_bytes) {
        const old_buf_size = this.bb.capacity();
        this.bb = _Builder.growByteBuffer(this.bb);
        this.space += this.bb.capacity() - old_buf_size;
      }
      this.pad(align_size);
    }
    pad(byte_size) {
      for (let i = 0; i < byte_size; i++) {
        this.bb.writeInt8(--this.space, 0);
      }
    }
    writeInt8(value) {
      this.bb.writeInt8(this.space -= 1, value);
    }
    writeInt16(value) {
      this.bb.writeInt16(this.space -= 2, value);
    }
    writeInt32(value) {
      this.bb.writeInt32(this.space -= 4, value);
    }
    writeInt64(value) {
      this.bb.writeInt64(this.space -= 8, value);
    }
    writeFloat32(value) {
      this.bb.writeFloat32(this.space -= 4, value);
    }
    writeFloat64(value) {
      this.bb.writeFloat64(this.space -= 8, value);
    }
    /**
     * Add an `int8` to the buffer, properly aligned, and grows the buffer (if necessary).
     * @param value The `int8` to add the buffer.
     */
    addInt8(value) {
      this.prep(1, 0);
      this.writeInt8(value);
    }
    /**
     * Add an `int16` to the buffer, properly aligned, and grows the buffer (if necessary).
     * @param value The `int16` to add the buffer.
     */
    addInt16(value) {
      this.prep(2, 0);
      this.writeInt16(value);
    }
    /**
     * Add an `int32` to the buffer, properly aligned, and grows the buffer (if necessary).
     * @param value The `int32` to add the buffer.
     */
    addInt32(value) {
      this.prep(4, 0);
      this.writeInt32(value);
    }
    /**
     * Add an `int64` to the buffer, properly aligned, and grows the buffer (if necessary).
     * @param value The `int64` to add the buffer.
     */
    addInt64(value) {
      this.prep(8, 0);
      this.writeInt64(value);
    }
    /**
     * Add a `float32` to the buffer, properly aligned, and grows the buffer (if necessary).
     * @param value The `float32` to add the buffer.
     */
    addFloat32(value) {
      this.prep(4, 0);
      this.writeFloat32(value);
    }
    /**
     * Add a `float64` to the buffer, properly aligned, and grows the buffer (if necessary).
     * @param value The `float64` to add the buffer.
     */
    addFloat64(value) {
      this.prep(8, 0);
      this.writeFloat64(value);
    }
    addFieldInt8(voffset, value, defaultValue) {
      if (this.force_defaults || value != defaultValue) {
        this.addInt8(value);
        this.slot(voffset);
      }
    }
    addFieldInt16(voffset, value, defaultValue) {
      if (this.force_defaults || value != defaultValue) {
        this.addInt16(value);
        this.slot(voffset);
      }
    }
    addFieldInt32(voffset, value, defaultValue) {
      if (this.force_defaults || value != defaultValue) {
        this.addInt32(value);
        this.slot(voffset);
      }
    }
    addFieldInt64(voffset, value, defaultValue) {
      if (this.force_defaults || value !== defaultValue) {
        this.addInt64(value);
        this.slot(voffset);
      }
    }
    addFieldFloat32(voffset, value, defaultValue) {
      if (this.force_defaults || value != defaultValue) {
        this.addFloat32(value);
        this.slot(voffset);
      }
    }
    addFieldFloat64(voffset, value, defaultValue) {
      if (this.force_defaults || value != defaultValue) {
        this.addFloat64(value);
        this.slot(voffset);
      }
    }
    addFieldOffset(voffset, value, defaultValue) {
      if (this.force_defaults || value != defaultValue) {
        this.addOffset(value);
        this.slot(voffset);
      }
    }
    /**
     * Structs are stored inline, so nothing additional is being added. `d` is always 0.
     */
    addFieldStruct(voffset, value, defaultValue) {
      if (value != defaultValue) {
        this.nested(value);
        this.slot(voffset);
      }
    }
    /**
     * Structures are always stored inline, they need to be created right
     * where they're used.  You'll get this assertion failure if you
     * created it elsewhere.
     */
    nested(obj) {
      if (obj != this.offset()) {
        throw new TypeError("FlatBuffers: struct must be serialized inline.");
      }
    }
    /**
     * Should not be creating any other object, string or vector
     * while an object is being constructed
     */
    notNested() {
      if (this.isNested) {
        throw new TypeError("FlatBuffers: object serialization must not be nested.");
      }
    }
    /**
     * Set the current vtable at `voffset` to the current location in the buffer.
     */
    slot(voffset) {
      if (this.vtable !== null)
        this.vtable[voffset] = this.offset();
    }
    /**
     * @returns Offset relative to the end of the buffer.
     */
    offset() {
      return this.bb.capacity() - this.space;
    }
    /**
     * Doubles the size of the backing ByteBuffer and copies the old data towards
     * the end of the new buffer (since we build the buffer backwards).
     *
     * @param bb The current buffer with the existing data
     * @returns A new byte buffer with the old data copied
     * to it. The data is located at the end of the buffer.
     *
     * uint8Array.set() formally takes {Array<number>|ArrayBufferView}, so to pass
     * it a uint8Array we need to suppress the type check:
     * @suppress {checkTypes}
     */
    static growByteBuffer(bb) {
      const old_buf_size = bb.capacity();
      if (old_buf_size & 3221225472) {
        throw new Error("FlatBuffers: cannot grow buffer beyond 2 gigabytes.");
      }
      const new_buf_size = old_buf_size << 1;
      const nbb = ByteBuffer.allocate(new_buf_size);
      nbb.setPosition(new_buf_size - old_buf_size);
      nbb.bytes().set(bb.bytes(), new_buf_size - old_buf_size);
      return nbb;
    }
    /**
     * Adds on offset, relative to where it will be written.
     *
     * @param offset The offset to add.
     */
    addOffset(offset) {
      this.prep(SIZEOF_INT, 0);
      this.writeInt32(this.offset() - offset + SIZEOF_INT);
    }
    /**
     * Start encoding a new object in the buffer.  Users will not usually need to
     * call this directly. The FlatBuffers compiler will generate helper methods
     * that call this method internally.
     */
    startObject(numfields) {
      this.notNested();
      if (this.vtable == null) {
        this.vtable = [];
      }
      this.vtable_in_use = numfields;
      for (let i = 0; i < numfields; i++) {
        this.vtable[i] = 0;
      }
      this.isNested = true;
      this.object_start = this.offset();
    }
    /**
     * Finish off writing the object that is under construction.
     *
     * @returns The offset to the object inside `dataBuffer`
     */
    endObject() {
      if (this.vtable == null || !this.isNested) {
        throw new Error("FlatBuffers: endObject called without startObject");
      }
      this.addInt32(0);
      const vtableloc = this.offset();
      let i = this.vtable_in_use - 1;
      for (; i >= 0 && this.vtable[i] == 0; i--) {
      }
      const trimmed_size = i + 1;
      for (; i >= 0; i--) {
        this.addInt16(this.vtable[i] != 0 ? vtableloc - this.vtable[i] : 0);
      }
      const standard_fields = 2;
      this.addInt16(vtableloc - this.object_start);
      const len = (trimmed_size + standard_fields) * SIZEOF_SHORT;
      this.addInt16(len);
      let existing_vtable = 0;
      const vt1 = this.space;
      outer_loop: for (i = 0; i < this.vtables.length; i++) {
        const vt2 = this.bb.capacity() - this.vtables[i];
        if (len == this.bb.readInt16(vt2)) {
          for (let j = SIZEOF_SHORT; j < len; j += SIZEOF_SHORT) {
            if (this.bb.readInt16(vt1 + j) != this.bb.readInt16(vt2 + j)) {
              continue outer_loop;
            }
          }
          existing_vtable = this.vtables[i];
          break;
        }
      }
      if (existing_vtable) {
        this.space = this.bb.capacity() - vtableloc;
        this.bb.writeInt32(this.space, existing_vtable - vtableloc);
      } else {
        this.vtables.push(this.offset());
        this.bb.writeInt32(this.bb.capacity() - vtableloc, this.offset() - vtableloc);
      }
      this.isNested = false;
      return vtableloc;
    }
    /**
     * Finalize a buffer, poiting to the given `root_table`.
     */
    finish(root_table, opt_file_identifier, opt_size_prefix) {
      const size_prefix = opt_size_prefix ? SIZE_PREFIX_LENGTH : 0;
      if (opt_file_identifier) {
        const file_identifier = opt_file_identifier;
        this.prep(this.minalign, SIZEOF_INT + FILE_IDENTIFIER_LENGTH + size_prefix);
        if (file_identifier.length != FILE_IDENTIFIER_LENGTH) {
          throw new TypeError("FlatBuffers: file identifier must be length " + FILE_IDENTIFIER_LENGTH);
        }
        for (let i = FILE_IDENTIFIER_LENGTH - 1; i >= 0; i--) {
          this.writeInt8(file_identifier.charCodeAt(i));
        }
      }
      this.prep(this.minalign, SIZEOF_INT + size_prefix);
      this.addOffset(root_table);
      if (size_prefix) {
        this.addInt32(this.bb.capacity() - this.space);
      }
      this.bb.setPosition(this.space);
    }
    /**
     * Finalize a size prefixed buffer, pointing to the given `root_table`.
     */
    finishSizePrefixed(root_table, opt_file_identifier) {
      this.finish(root_table, opt_file_identifier, true);
    }
    /**
     * This checks a required field has been set in a given table that has
     * just been constructed.
     */
    requiredField(table, field) {
      const table_start = this.bb.capacity() - table;
      const vtable_start = table_start - this.bb.readInt32(table_start);
      const ok = field < this.bb.readInt16(vtable_start) && this.bb.readInt16(vtable_start + field) != 0;
      if (!ok) {
        throw new TypeError("FlatBuffers: field " + field + " must be set");
      }
    }
    /**
     * Start a new array/vector of objects.  Users usually will not call
     * this directly. The FlatBuffers compiler will create a start/end
     * method for vector types in generated code.
     *
     * @param elem_size The size of each element in the array
     * @param num_elems The number of elements in the array
     * @param alignment The alignment of the array
     */
    startVector(elem_size, num_elems, alignment) {
      this.notNested();
      this.vector_num_elems = num_elems;
      this.prep(SIZEOF_INT, elem_size * num_elems);
      this.prep(alignment, elem_size * num_elems);
    }
    /**
     * Finish off the creation of an array and all its elements. The array must be
     * created with `startVector`.
     *
     * @returns The offset at which the newly created array
     * starts.
     */
    endVector() {
      this.writeInt32(this.vector_num_elems);
      return this.offset();
    }
    /**
     * Encode the string `s` in the buffer using UTF-8. If the string passed has
     * already been seen, we return the offset of the already written string
     *
     * @param s The string to encode
     * @return The offset in the buffer where the encoded string starts
     */
    createSharedString(s) {
      if (!s) {
        return 0;
      }
      if (!this.string_maps) {
        this.string_maps = /* @__PURE__ */ new Map();
      }
      if (this.string_maps.has(s)) {
        return this.string_maps.get(s);
      }
      const offset = this.createString(s);
      this.string_maps.set(s, offset);
      return offset;
    }
    /**
     * Encode the string `s` in the buffer using UTF-8. If a Uint8Array is passed
     * instead of a string, it is assumed to contain valid UTF-8 encoded data.
     *
     * @param s The string to encode
     * @return The offset in the buffer where the encoded string starts
     */
    createString(s) {
      if (s === null || s === void 0) {
        return 0;
      }
      let utf8;
      if (s instanceof Uint8Array) {
        utf8 = s;
      } else {
        utf8 = this.text_encoder.encode(s);
      }
      this.addInt8(0);
      this.startVector(1, utf8.length, 1);
      this.bb.setPosition(this.space -= utf8.length);
      this.bb.bytes().set(utf8, this.space);
      return this.endVector();
    }
    /**
     * Create a byte vector.
     *
     * @param v The bytes to add
     * @returns The offset in the buffer where the byte vector starts
     */
    createByteVector(v) {
      if (v === null || v === void 0) {
        return 0;
      }
      this.startVector(1, v.length, 1);
      this.bb.setPosition(this.space -= v.length);
      this.bb.bytes().set(v, this.space);
      return this.endVector();
    }
    /**
     * A helper function to pack an object
     *
     * @returns offset of obj
     */
    createObjectOffset(obj) {
      if (obj === null) {
        return 0;
      }
      if (typeof obj === "string") {
        return this.createString(obj);
      } else {
        return obj.pack(this);
      }
    }
    /**
     * A helper function to pack a list of object
     *
     * @returns list of offsets of each non null object
     */
    createObjectOffsetList(list) {
      const ret = [];
      for (let i = 0; i < list.length; ++i) {
        const val = list[i];
        if (val !== null) {
          ret.push(this.createObjectOffset(val));
        } else {
          throw new TypeError("FlatBuffers: Argument for createObjectOffsetList cannot contain null.");
        }
      }
      return ret;
    }
    createStructOffsetList(list, startFunc) {
      startFunc(this, list.length);
      this.createObjectOffsetList(list.slice().reverse());
      return this.endVector();
    }
  };

  // src/generated/switchboard/ipc/channel-info.ts
  var ChannelInfo = class _ChannelInfo {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsChannelInfo(bb, obj) {
      return (obj || new _ChannelInfo()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsChannelInfo(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _ChannelInfo()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    /**
     * Host-assigned, unique for the life of the host session; never reused.
     */
    id() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
    }
    name(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    encoding(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 8);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    schemaName(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 10);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    delivery() {
      const offset = this.bb.__offset(this.bb_pos, 12);
      return offset ? this.bb.readUint8(this.bb_pos + offset) : 0 /* Reliable */;
    }
    publishers() {
      const offset = this.bb.__offset(this.bb_pos, 14);
      return offset ? this.bb.readUint8(this.bb_pos + offset) : 0 /* AgentsOnly */;
    }
    description(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 16);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    static startChannelInfo(builder) {
      builder.startObject(7);
    }
    static addId(builder, id) {
      builder.addFieldInt32(0, id, 0);
    }
    static addName(builder, nameOffset) {
      builder.addFieldOffset(1, nameOffset, 0);
    }
    static addEncoding(builder, encodingOffset) {
      builder.addFieldOffset(2, encodingOffset, 0);
    }
    static addSchemaName(builder, schemaNameOffset) {
      builder.addFieldOffset(3, schemaNameOffset, 0);
    }
    static addDelivery(builder, delivery) {
      builder.addFieldInt8(4, delivery, 0 /* Reliable */);
    }
    static addPublishers(builder, publishers) {
      builder.addFieldInt8(5, publishers, 0 /* AgentsOnly */);
    }
    static addDescription(builder, descriptionOffset) {
      builder.addFieldOffset(6, descriptionOffset, 0);
    }
    static endChannelInfo(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createChannelInfo(builder, id, nameOffset, encodingOffset, schemaNameOffset, delivery, publishers, descriptionOffset) {
      _ChannelInfo.startChannelInfo(builder);
      _ChannelInfo.addId(builder, id);
      _ChannelInfo.addName(builder, nameOffset);
      _ChannelInfo.addEncoding(builder, encodingOffset);
      _ChannelInfo.addSchemaName(builder, schemaNameOffset);
      _ChannelInfo.addDelivery(builder, delivery);
      _ChannelInfo.addPublishers(builder, publishers);
      _ChannelInfo.addDescription(builder, descriptionOffset);
      return _ChannelInfo.endChannelInfo(builder);
    }
  };

  // src/generated/switchboard/ipc/advertise.ts
  var Advertise = class _Advertise {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsAdvertise(bb, obj) {
      return (obj || new _Advertise()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsAdvertise(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Advertise()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    channels(index, obj) {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? (obj || new ChannelInfo()).__init(this.bb.__indirect(this.bb.__vector(this.bb_pos + offset) + index * 4), this.bb) : null;
    }
    channelsLength() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    static startAdvertise(builder) {
      builder.startObject(1);
    }
    static addChannels(builder, channelsOffset) {
      builder.addFieldOffset(0, channelsOffset, 0);
    }
    static createChannelsVector(builder, data) {
      builder.startVector(4, data.length, 4);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addOffset(data[i]);
      }
      return builder.endVector();
    }
    static startChannelsVector(builder, numElems) {
      builder.startVector(4, numElems, 4);
    }
    static endAdvertise(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createAdvertise(builder, channelsOffset) {
      _Advertise.startAdvertise(builder);
      _Advertise.addChannels(builder, channelsOffset);
      return _Advertise.endAdvertise(builder);
    }
  };

  // src/generated/switchboard/ipc/data.ts
  var Data = class _Data {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsData(bb, obj) {
      return (obj || new _Data()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsData(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Data()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    channel() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
    }
    /**
     * Zero: one-way message. Non-zero: a request, chosen by the sender and
     * unique among its requests in flight. The host answers a client's
     * request with a `Response` (or refuses it with an `Error`) carrying the
     * same id; a client answers the host's request with a `Response` (status
     * Failed to refuse).
     */
    requestId() {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.readUint64(this.bb_pos + offset) : BigInt("0");
    }
    /**
     * Host -> client: position in the channel's stream, starting at 1 and
     * increasing by one per publish, the same for every subscriber. While a
     * client stays subscribed, a gap means that many messages were conflated
     * (Latest policy). Zero for a message sent to one client only (never
     * conflated). Client -> host: free for the client's own use.
     */
    sequence() {
      const offset = this.bb.__offset(this.bb_pos, 8);
      return offset ? this.bb.readUint64(this.bb_pos + offset) : BigInt("0");
    }
    /**
     * Sender's clock when the message was made, nanoseconds since the Unix
     * epoch; zero when unknown.
     */
    timestampNs() {
      const offset = this.bb.__offset(this.bb_pos, 10);
      return offset ? this.bb.readUint64(this.bb_pos + offset) : BigInt("0");
    }
    /**
     * The payload, encoded as the channel's `encoding` says.
     */
    content(index) {
      const offset = this.bb.__offset(this.bb_pos, 12);
      return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
    }
    contentLength() {
      const offset = this.bb.__offset(this.bb_pos, 12);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    contentArray() {
      const offset = this.bb.__offset(this.bb_pos, 12);
      return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
    }
    static startData(builder) {
      builder.startObject(5);
    }
    static addChannel(builder, channel) {
      builder.addFieldInt32(0, channel, 0);
    }
    static addRequestId(builder, requestId) {
      builder.addFieldInt64(1, requestId, BigInt("0"));
    }
    static addSequence(builder, sequence) {
      builder.addFieldInt64(2, sequence, BigInt("0"));
    }
    static addTimestampNs(builder, timestampNs) {
      builder.addFieldInt64(3, timestampNs, BigInt("0"));
    }
    static addContent(builder, contentOffset) {
      builder.addFieldOffset(4, contentOffset, 0);
    }
    static createContentVector(builder, data) {
      builder.startVector(1, data.length, 1);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addInt8(data[i]);
      }
      return builder.endVector();
    }
    static startContentVector(builder, numElems) {
      builder.startVector(1, numElems, 1);
    }
    static endData(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createData(builder, channel, requestId, sequence, timestampNs, contentOffset) {
      _Data.startData(builder);
      _Data.addChannel(builder, channel);
      _Data.addRequestId(builder, requestId);
      _Data.addSequence(builder, sequence);
      _Data.addTimestampNs(builder, timestampNs);
      _Data.addContent(builder, contentOffset);
      return _Data.endData(builder);
    }
  };

  // src/generated/switchboard/ipc/error-code.ts
  var ErrorCode = /* @__PURE__ */ ((ErrorCode2) => {
    ErrorCode2[ErrorCode2["None"] = 0] = "None";
    ErrorCode2[ErrorCode2["BadFrame"] = 1] = "BadFrame";
    ErrorCode2[ErrorCode2["HandshakeRequired"] = 2] = "HandshakeRequired";
    ErrorCode2[ErrorCode2["UnsupportedVersion"] = 3] = "UnsupportedVersion";
    ErrorCode2[ErrorCode2["Unauthorized"] = 4] = "Unauthorized";
    ErrorCode2[ErrorCode2["NotAllowed"] = 5] = "NotAllowed";
    ErrorCode2[ErrorCode2["UnknownChannel"] = 6] = "UnknownChannel";
    ErrorCode2[ErrorCode2["UnknownRequest"] = 7] = "UnknownRequest";
    ErrorCode2[ErrorCode2["DuplicateRequest"] = 8] = "DuplicateRequest";
    ErrorCode2[ErrorCode2["Timeout"] = 9] = "Timeout";
    ErrorCode2[ErrorCode2["TooLarge"] = 10] = "TooLarge";
    ErrorCode2[ErrorCode2["Overloaded"] = 11] = "Overloaded";
    ErrorCode2[ErrorCode2["Internal"] = 12] = "Internal";
    return ErrorCode2;
  })(ErrorCode || {});

  // src/generated/switchboard/ipc/error.ts
  var Error2 = class _Error {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsError(bb, obj) {
      return (obj || new _Error()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsError(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Error()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    code() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.readUint16(this.bb_pos + offset) : 0 /* None */;
    }
    message(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    /**
     * The request this refers to, or zero.
     */
    requestId() {
      const offset = this.bb.__offset(this.bb_pos, 8);
      return offset ? this.bb.readUint64(this.bb_pos + offset) : BigInt("0");
    }
    /**
     * The channel this refers to, or zero.
     */
    channel() {
      const offset = this.bb.__offset(this.bb_pos, 10);
      return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
    }
    static startError(builder) {
      builder.startObject(4);
    }
    static addCode(builder, code) {
      builder.addFieldInt16(0, code, 0 /* None */);
    }
    static addMessage(builder, messageOffset) {
      builder.addFieldOffset(1, messageOffset, 0);
    }
    static addRequestId(builder, requestId) {
      builder.addFieldInt64(2, requestId, BigInt("0"));
    }
    static addChannel(builder, channel) {
      builder.addFieldInt32(3, channel, 0);
    }
    static endError(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createError(builder, code, messageOffset, requestId, channel) {
      _Error.startError(builder);
      _Error.addCode(builder, code);
      _Error.addMessage(builder, messageOffset);
      _Error.addRequestId(builder, requestId);
      _Error.addChannel(builder, channel);
      return _Error.endError(builder);
    }
  };

  // src/generated/switchboard/ipc/hello.ts
  var Hello = class _Hello {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsHello(bb, obj) {
      return (obj || new _Hello()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsHello(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Hello()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    clientName(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    /**
     * Every protocol version the client speaks; the host picks the highest
     * one it also speaks.
     */
    protocolVersions(index) {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.readUint16(this.bb.__vector(this.bb_pos + offset) + index * 2) : 0;
    }
    protocolVersionsLength() {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    protocolVersionsArray() {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? new Uint16Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
    }
    token(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 8);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    static startHello(builder) {
      builder.startObject(3);
    }
    static addClientName(builder, clientNameOffset) {
      builder.addFieldOffset(0, clientNameOffset, 0);
    }
    static addProtocolVersions(builder, protocolVersionsOffset) {
      builder.addFieldOffset(1, protocolVersionsOffset, 0);
    }
    static createProtocolVersionsVector(builder, data) {
      builder.startVector(2, data.length, 2);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addInt16(data[i]);
      }
      return builder.endVector();
    }
    static startProtocolVersionsVector(builder, numElems) {
      builder.startVector(2, numElems, 2);
    }
    static addToken(builder, tokenOffset) {
      builder.addFieldOffset(2, tokenOffset, 0);
    }
    static endHello(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createHello(builder, clientNameOffset, protocolVersionsOffset, tokenOffset) {
      _Hello.startHello(builder);
      _Hello.addClientName(builder, clientNameOffset);
      _Hello.addProtocolVersions(builder, protocolVersionsOffset);
      _Hello.addToken(builder, tokenOffset);
      return _Hello.endHello(builder);
    }
  };

  // src/generated/switchboard/ipc/response.ts
  var Response = class _Response {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsResponse(bb, obj) {
      return (obj || new _Response()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsResponse(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Response()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    requestId() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.readUint64(this.bb_pos + offset) : BigInt("0");
    }
    /**
     * The channel the request was sent on.
     */
    channel() {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
    }
    status() {
      const offset = this.bb.__offset(this.bb_pos, 8);
      return offset ? this.bb.readUint8(this.bb_pos + offset) : 0 /* Ok */;
    }
    content(index) {
      const offset = this.bb.__offset(this.bb_pos, 10);
      return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
    }
    contentLength() {
      const offset = this.bb.__offset(this.bb_pos, 10);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    contentArray() {
      const offset = this.bb.__offset(this.bb_pos, 10);
      return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
    }
    error(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 12);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    static startResponse(builder) {
      builder.startObject(5);
    }
    static addRequestId(builder, requestId) {
      builder.addFieldInt64(0, requestId, BigInt("0"));
    }
    static addChannel(builder, channel) {
      builder.addFieldInt32(1, channel, 0);
    }
    static addStatus(builder, status) {
      builder.addFieldInt8(2, status, 0 /* Ok */);
    }
    static addContent(builder, contentOffset) {
      builder.addFieldOffset(3, contentOffset, 0);
    }
    static createContentVector(builder, data) {
      builder.startVector(1, data.length, 1);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addInt8(data[i]);
      }
      return builder.endVector();
    }
    static startContentVector(builder, numElems) {
      builder.startVector(1, numElems, 1);
    }
    static addError(builder, errorOffset) {
      builder.addFieldOffset(4, errorOffset, 0);
    }
    static endResponse(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createResponse(builder, requestId, channel, status, contentOffset, errorOffset) {
      _Response.startResponse(builder);
      _Response.addRequestId(builder, requestId);
      _Response.addChannel(builder, channel);
      _Response.addStatus(builder, status);
      _Response.addContent(builder, contentOffset);
      _Response.addError(builder, errorOffset);
      return _Response.endResponse(builder);
    }
  };

  // src/generated/switchboard/ipc/subscribe.ts
  var Subscribe = class _Subscribe {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsSubscribe(bb, obj) {
      return (obj || new _Subscribe()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsSubscribe(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Subscribe()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    /**
     * Non-zero: the host answers with a `Response` (Ok) or an `Error` carrying
     * this id. Zero: errors are still reported, with request id 0.
     */
    requestId() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.readUint64(this.bb_pos + offset) : BigInt("0");
    }
    channelIds(index) {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.readUint32(this.bb.__vector(this.bb_pos + offset) + index * 4) : 0;
    }
    channelIdsLength() {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    channelIdsArray() {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? new Uint32Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
    }
    patterns(index, optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 8);
      return offset ? this.bb.__string(this.bb.__vector(this.bb_pos + offset) + index * 4, optionalEncoding) : null;
    }
    patternsLength() {
      const offset = this.bb.__offset(this.bb_pos, 8);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    static startSubscribe(builder) {
      builder.startObject(3);
    }
    static addRequestId(builder, requestId) {
      builder.addFieldInt64(0, requestId, BigInt("0"));
    }
    static addChannelIds(builder, channelIdsOffset) {
      builder.addFieldOffset(1, channelIdsOffset, 0);
    }
    static createChannelIdsVector(builder, data) {
      builder.startVector(4, data.length, 4);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addInt32(data[i]);
      }
      return builder.endVector();
    }
    static startChannelIdsVector(builder, numElems) {
      builder.startVector(4, numElems, 4);
    }
    static addPatterns(builder, patternsOffset) {
      builder.addFieldOffset(2, patternsOffset, 0);
    }
    static createPatternsVector(builder, data) {
      builder.startVector(4, data.length, 4);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addOffset(data[i]);
      }
      return builder.endVector();
    }
    static startPatternsVector(builder, numElems) {
      builder.startVector(4, numElems, 4);
    }
    static endSubscribe(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createSubscribe(builder, requestId, channelIdsOffset, patternsOffset) {
      _Subscribe.startSubscribe(builder);
      _Subscribe.addRequestId(builder, requestId);
      _Subscribe.addChannelIds(builder, channelIdsOffset);
      _Subscribe.addPatterns(builder, patternsOffset);
      return _Subscribe.endSubscribe(builder);
    }
  };

  // src/generated/switchboard/ipc/unadvertise.ts
  var Unadvertise = class _Unadvertise {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsUnadvertise(bb, obj) {
      return (obj || new _Unadvertise()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsUnadvertise(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Unadvertise()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    channelIds(index) {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.readUint32(this.bb.__vector(this.bb_pos + offset) + index * 4) : 0;
    }
    channelIdsLength() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    channelIdsArray() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? new Uint32Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
    }
    static startUnadvertise(builder) {
      builder.startObject(1);
    }
    static addChannelIds(builder, channelIdsOffset) {
      builder.addFieldOffset(0, channelIdsOffset, 0);
    }
    static createChannelIdsVector(builder, data) {
      builder.startVector(4, data.length, 4);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addInt32(data[i]);
      }
      return builder.endVector();
    }
    static startChannelIdsVector(builder, numElems) {
      builder.startVector(4, numElems, 4);
    }
    static endUnadvertise(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createUnadvertise(builder, channelIdsOffset) {
      _Unadvertise.startUnadvertise(builder);
      _Unadvertise.addChannelIds(builder, channelIdsOffset);
      return _Unadvertise.endUnadvertise(builder);
    }
  };

  // src/generated/switchboard/ipc/key-value.ts
  var KeyValue = class _KeyValue {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsKeyValue(bb, obj) {
      return (obj || new _KeyValue()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsKeyValue(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _KeyValue()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    key(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    value(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    static startKeyValue(builder) {
      builder.startObject(2);
    }
    static addKey(builder, keyOffset) {
      builder.addFieldOffset(0, keyOffset, 0);
    }
    static addValue(builder, valueOffset) {
      builder.addFieldOffset(1, valueOffset, 0);
    }
    static endKeyValue(builder) {
      const offset = builder.endObject();
      builder.requiredField(offset, 4);
      return offset;
    }
    static createKeyValue(builder, keyOffset, valueOffset) {
      _KeyValue.startKeyValue(builder);
      _KeyValue.addKey(builder, keyOffset);
      _KeyValue.addValue(builder, valueOffset);
      return _KeyValue.endKeyValue(builder);
    }
  };

  // src/generated/switchboard/ipc/host-info.ts
  var HostInfo = class _HostInfo {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsHostInfo(bb, obj) {
      return (obj || new _HostInfo()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsHostInfo(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _HostInfo()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    /**
     * Named directories, e.g. ("data", "/home/me/.game/data").
     */
    directories(index, obj) {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? (obj || new KeyValue()).__init(this.bb.__indirect(this.bb.__vector(this.bb_pos + offset) + index * 4), this.bb) : null;
    }
    directoriesLength() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    /**
     * User preferences, e.g. ("language", "en-US").
     */
    preferences(index, obj) {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? (obj || new KeyValue()).__init(this.bb.__indirect(this.bb.__vector(this.bb_pos + offset) + index * 4), this.bb) : null;
    }
    preferencesLength() {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    static startHostInfo(builder) {
      builder.startObject(2);
    }
    static addDirectories(builder, directoriesOffset) {
      builder.addFieldOffset(0, directoriesOffset, 0);
    }
    static createDirectoriesVector(builder, data) {
      builder.startVector(4, data.length, 4);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addOffset(data[i]);
      }
      return builder.endVector();
    }
    static startDirectoriesVector(builder, numElems) {
      builder.startVector(4, numElems, 4);
    }
    static addPreferences(builder, preferencesOffset) {
      builder.addFieldOffset(1, preferencesOffset, 0);
    }
    static createPreferencesVector(builder, data) {
      builder.startVector(4, data.length, 4);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addOffset(data[i]);
      }
      return builder.endVector();
    }
    static startPreferencesVector(builder, numElems) {
      builder.startVector(4, numElems, 4);
    }
    static endHostInfo(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createHostInfo(builder, directoriesOffset, preferencesOffset) {
      _HostInfo.startHostInfo(builder);
      _HostInfo.addDirectories(builder, directoriesOffset);
      _HostInfo.addPreferences(builder, preferencesOffset);
      return _HostInfo.endHostInfo(builder);
    }
  };

  // src/generated/switchboard/ipc/limits.ts
  var Limits = class _Limits {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsLimits(bb, obj) {
      return (obj || new _Limits()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsLimits(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Limits()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    /**
     * Largest WebSocket message the host accepts, in bytes.
     */
    maxMessageSize() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.readUint64(this.bb_pos + offset) : BigInt("0");
    }
    /**
     * Most requests one client may have in flight at once.
     */
    maxPendingRequests() {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
    }
    /**
     * How long the host waits for an agent to answer a request, in milliseconds.
     */
    requestTimeoutMs() {
      const offset = this.bb.__offset(this.bb_pos, 8);
      return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
    }
    static startLimits(builder) {
      builder.startObject(3);
    }
    static addMaxMessageSize(builder, maxMessageSize) {
      builder.addFieldInt64(0, maxMessageSize, BigInt("0"));
    }
    static addMaxPendingRequests(builder, maxPendingRequests) {
      builder.addFieldInt32(1, maxPendingRequests, 0);
    }
    static addRequestTimeoutMs(builder, requestTimeoutMs) {
      builder.addFieldInt32(2, requestTimeoutMs, 0);
    }
    static endLimits(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static createLimits(builder, maxMessageSize, maxPendingRequests, requestTimeoutMs) {
      _Limits.startLimits(builder);
      _Limits.addMaxMessageSize(builder, maxMessageSize);
      _Limits.addMaxPendingRequests(builder, maxPendingRequests);
      _Limits.addRequestTimeoutMs(builder, requestTimeoutMs);
      return _Limits.endLimits(builder);
    }
  };

  // src/generated/switchboard/ipc/welcome.ts
  var Welcome = class _Welcome {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsWelcome(bb, obj) {
      return (obj || new _Welcome()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsWelcome(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Welcome()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    /**
     * This connection's id, unique for the life of the host session.
     */
    clientId() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
    }
    hostName(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    hostVersion(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 8);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    /**
     * The protocol version chosen for this connection.
     */
    protocolVersion() {
      const offset = this.bb.__offset(this.bb_pos, 10);
      return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
    }
    /**
     * The range of protocol versions the host speaks.
     */
    minProtocolVersion() {
      const offset = this.bb.__offset(this.bb_pos, 12);
      return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
    }
    maxProtocolVersion() {
      const offset = this.bb.__offset(this.bb_pos, 14);
      return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
    }
    capabilities(index, optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 16);
      return offset ? this.bb.__string(this.bb.__vector(this.bb_pos + offset) + index * 4, optionalEncoding) : null;
    }
    capabilitiesLength() {
      const offset = this.bb.__offset(this.bb_pos, 16);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    sessionId(optionalEncoding) {
      const offset = this.bb.__offset(this.bb_pos, 18);
      return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
    }
    /**
     * Every channel advertised at the time of the handshake.
     */
    channels(index, obj) {
      const offset = this.bb.__offset(this.bb_pos, 20);
      return offset ? (obj || new ChannelInfo()).__init(this.bb.__indirect(this.bb.__vector(this.bb_pos + offset) + index * 4), this.bb) : null;
    }
    channelsLength() {
      const offset = this.bb.__offset(this.bb_pos, 20);
      return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
    }
    info(obj) {
      const offset = this.bb.__offset(this.bb_pos, 22);
      return offset ? (obj || new HostInfo()).__init(this.bb.__indirect(this.bb_pos + offset), this.bb) : null;
    }
    limits(obj) {
      const offset = this.bb.__offset(this.bb_pos, 24);
      return offset ? (obj || new Limits()).__init(this.bb.__indirect(this.bb_pos + offset), this.bb) : null;
    }
    static startWelcome(builder) {
      builder.startObject(11);
    }
    static addClientId(builder, clientId) {
      builder.addFieldInt32(0, clientId, 0);
    }
    static addHostName(builder, hostNameOffset) {
      builder.addFieldOffset(1, hostNameOffset, 0);
    }
    static addHostVersion(builder, hostVersionOffset) {
      builder.addFieldOffset(2, hostVersionOffset, 0);
    }
    static addProtocolVersion(builder, protocolVersion) {
      builder.addFieldInt16(3, protocolVersion, 0);
    }
    static addMinProtocolVersion(builder, minProtocolVersion) {
      builder.addFieldInt16(4, minProtocolVersion, 0);
    }
    static addMaxProtocolVersion(builder, maxProtocolVersion) {
      builder.addFieldInt16(5, maxProtocolVersion, 0);
    }
    static addCapabilities(builder, capabilitiesOffset) {
      builder.addFieldOffset(6, capabilitiesOffset, 0);
    }
    static createCapabilitiesVector(builder, data) {
      builder.startVector(4, data.length, 4);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addOffset(data[i]);
      }
      return builder.endVector();
    }
    static startCapabilitiesVector(builder, numElems) {
      builder.startVector(4, numElems, 4);
    }
    static addSessionId(builder, sessionIdOffset) {
      builder.addFieldOffset(7, sessionIdOffset, 0);
    }
    static addChannels(builder, channelsOffset) {
      builder.addFieldOffset(8, channelsOffset, 0);
    }
    static createChannelsVector(builder, data) {
      builder.startVector(4, data.length, 4);
      for (let i = data.length - 1; i >= 0; i--) {
        builder.addOffset(data[i]);
      }
      return builder.endVector();
    }
    static startChannelsVector(builder, numElems) {
      builder.startVector(4, numElems, 4);
    }
    static addInfo(builder, infoOffset) {
      builder.addFieldOffset(9, infoOffset, 0);
    }
    static addLimits(builder, limitsOffset) {
      builder.addFieldOffset(10, limitsOffset, 0);
    }
    static endWelcome(builder) {
      const offset = builder.endObject();
      return offset;
    }
  };

  // src/generated/switchboard/ipc/frame.ts
  var Frame = class _Frame {
    constructor() {
      this.bb = null;
      this.bb_pos = 0;
    }
    __init(i, bb) {
      this.bb_pos = i;
      this.bb = bb;
      return this;
    }
    static getRootAsFrame(bb, obj) {
      return (obj || new _Frame()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static getSizePrefixedRootAsFrame(bb, obj) {
      bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
      return (obj || new _Frame()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
    }
    static bufferHasIdentifier(bb) {
      return bb.__has_identifier("SWBD");
    }
    bodyType() {
      const offset = this.bb.__offset(this.bb_pos, 4);
      return offset ? this.bb.readUint8(this.bb_pos + offset) : 0 /* NONE */;
    }
    body(obj) {
      const offset = this.bb.__offset(this.bb_pos, 6);
      return offset ? this.bb.__union(obj, this.bb_pos + offset) : null;
    }
    static startFrame(builder) {
      builder.startObject(2);
    }
    static addBodyType(builder, bodyType) {
      builder.addFieldInt8(0, bodyType, 0 /* NONE */);
    }
    static addBody(builder, bodyOffset) {
      builder.addFieldOffset(1, bodyOffset, 0);
    }
    static endFrame(builder) {
      const offset = builder.endObject();
      return offset;
    }
    static finishFrameBuffer(builder, offset) {
      builder.finish(offset, "SWBD");
    }
    static finishSizePrefixedFrameBuffer(builder, offset) {
      builder.finish(offset, "SWBD", true);
    }
    static createFrame(builder, bodyType, bodyOffset) {
      _Frame.startFrame(builder);
      _Frame.addBodyType(builder, bodyType);
      _Frame.addBody(builder, bodyOffset);
      return _Frame.endFrame(builder);
    }
  };

  // src/protocol.ts
  var PROTOCOL_VERSIONS = [1];
  var FILE_IDENTIFIER = "SWBD";
  var FrameError = class extends globalThis.Error {
  };
  function finish(builder, type, body) {
    const frame = Frame.createFrame(builder, type, body);
    builder.finish(frame, FILE_IDENTIFIER);
    return builder.asUint8Array();
  }
  function encodeHello(clientName, versions = PROTOCOL_VERSIONS, token2) {
    const b = new Builder(128);
    const name = b.createString(clientName);
    const versionVector = Hello.createProtocolVersionsVector(b, versions);
    const tokenOffset = token2 ? b.createString(token2) : 0;
    Hello.startHello(b);
    Hello.addClientName(b, name);
    Hello.addProtocolVersions(b, versionVector);
    if (tokenOffset) Hello.addToken(b, tokenOffset);
    return finish(b, 1 /* Hello */, Hello.endHello(b));
  }
  function encodeSubscribe(requestId, channelIds, patterns) {
    const b = new Builder(128);
    const ids = Subscribe.createChannelIdsVector(b, channelIds);
    const pats = Subscribe.createPatternsVector(b, patterns.map((p) => b.createString(p)));
    Subscribe.startSubscribe(b);
    Subscribe.addRequestId(b, requestId);
    Subscribe.addChannelIds(b, ids);
    Subscribe.addPatterns(b, pats);
    return finish(b, 5 /* Subscribe */, Subscribe.endSubscribe(b));
  }
  function encodeData(args) {
    const b = new Builder(64 + args.content.length);
    const content = Data.createContentVector(b, args.content);
    const body = Data.createData(
      b,
      args.channel,
      args.requestId ?? 0n,
      args.sequence ?? 0n,
      args.timestampNs ?? 0n,
      content
    );
    return finish(b, 7 /* Data */, body);
  }
  function encodeResponse(requestId, channel, result) {
    const b = new Builder(128);
    const content = result.ok ? Response.createContentVector(b, result.content) : 0;
    const error = result.ok ? 0 : b.createString(result.error);
    Response.startResponse(b);
    Response.addRequestId(b, requestId);
    Response.addChannel(b, channel);
    Response.addStatus(b, result.ok ? 0 /* Ok */ : 1 /* Failed */);
    if (content) Response.addContent(b, content);
    if (error) Response.addError(b, error);
    return finish(b, 8 /* Response */, Response.endResponse(b));
  }
  function nowNs() {
    return BigInt(Date.now()) * 1000000n;
  }
  var EMPTY = new Uint8Array(0);
  function bytes(view) {
    return view ? view.slice() : EMPTY;
  }
  function channelFrom(info) {
    return {
      id: info.id(),
      name: info.name() ?? "",
      encoding: info.encoding() ?? "",
      schemaName: info.schemaName() ?? "",
      delivery: info.delivery() === 1 /* Latest */ ? "latest" : "reliable",
      publishers: info.publishers() === 1 /* ClientsAndAgents */ ? "clients-and-agents" : "agents",
      description: info.description() ?? ""
    };
  }
  function channelsFrom(length, get) {
    const out = [];
    for (let i = 0; i < length; i++) {
      const info = get(i);
      if (info) out.push(channelFrom(info));
    }
    return out;
  }
  function decodeFrame(message) {
    const data = message instanceof Uint8Array ? message : new Uint8Array(message);
    if (data.length < 8) throw new FrameError(`frame too short (${data.length} bytes)`);
    const bb = new ByteBuffer(data);
    if (!Frame.bufferHasIdentifier(bb)) throw new FrameError("missing file identifier SWBD");
    const frame = Frame.getRootAsFrame(bb);
    const type = frame.bodyType();
    switch (type) {
      case 2 /* Welcome */: {
        const w = frame.body(new Welcome());
        const limits = w.limits();
        const capabilities = [];
        for (let i = 0; i < w.capabilitiesLength(); i++) capabilities.push(w.capabilities(i));
        return {
          kind: "welcome",
          clientId: w.clientId(),
          hostName: w.hostName() ?? "",
          hostVersion: w.hostVersion() ?? "",
          protocolVersion: w.protocolVersion(),
          capabilities,
          sessionId: w.sessionId() ?? "",
          channels: channelsFrom(w.channelsLength(), (i) => w.channels(i)),
          limits: {
            maxMessageSize: limits?.maxMessageSize() ?? 0n,
            maxPendingRequests: limits?.maxPendingRequests() ?? 0,
            requestTimeoutMs: limits?.requestTimeoutMs() ?? 0
          }
        };
      }
      case 3 /* Advertise */: {
        const a = frame.body(new Advertise());
        return { kind: "advertise", channels: channelsFrom(a.channelsLength(), (i) => a.channels(i)) };
      }
      case 4 /* Unadvertise */: {
        const u = frame.body(new Unadvertise());
        return { kind: "unadvertise", channelIds: Array.from(u.channelIdsArray() ?? []) };
      }
      case 7 /* Data */: {
        const d = frame.body(new Data());
        return {
          kind: "data",
          channel: d.channel(),
          requestId: d.requestId(),
          sequence: d.sequence(),
          timestampNs: d.timestampNs(),
          content: bytes(d.contentArray())
        };
      }
      case 8 /* Response */: {
        const r = frame.body(new Response());
        return {
          kind: "response",
          requestId: r.requestId(),
          channel: r.channel(),
          ok: r.status() === 0 /* Ok */,
          content: bytes(r.contentArray()),
          error: r.error() ?? ""
        };
      }
      case 9 /* Error */: {
        const e = frame.body(new Error2());
        const code = e.code();
        return {
          kind: "error",
          code,
          codeName: ErrorCode[code] ?? String(code),
          message: e.message() ?? "",
          requestId: e.requestId(),
          channel: e.channel()
        };
      }
      default:
        return { kind: "ignored", bodyType: type };
    }
  }
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();
  function textContent(text) {
    return encoder.encode(text);
  }
  function contentText(content) {
    return decoder.decode(content);
  }
  function jsonContent(value) {
    return encoder.encode(JSON.stringify(value));
  }
  function contentJson(content) {
    return JSON.parse(decoder.decode(content));
  }

  // src/connection.ts
  var RequestError = class extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  };
  var Emitter = class {
    constructor() {
      this.listeners = [];
    }
    on(listener) {
      this.listeners.push(listener);
    }
    emit(value) {
      for (const listener of this.listeners) listener(value);
    }
  };
  var REQUEST_GRACE_MS = 5e3;
  var Connection = class {
    constructor(options) {
      this.options = options;
      this.stateChanged = new Emitter();
      this.channelsChanged = new Emitter();
      /** Every Data frame, with its channel (undefined if not advertised). */
      this.data = new Emitter();
      /** Errors not tied to one of our requests (e.g. a refused one-way message). */
      this.notice = new Emitter();
      this.socket = null;
      this.channels = /* @__PURE__ */ new Map();
      this.pending = /* @__PURE__ */ new Map();
      this.nextRequestId = 1n;
      this.attempt = 0;
      this.retryTimer = null;
      this.welcome = null;
      this.lastSessionId = null;
      this.stopped = false;
      /**
       * Prepended to the channel names given to `publish` and `request`: on a
       * fleet gateway, `fleet/<instance>/` sends them to that instance.
       */
      this.scope = "";
    }
    start() {
      this.stopped = false;
      this.open();
    }
    stop() {
      this.stopped = true;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.socket?.close(1e3, "editor closed");
    }
    get connected() {
      return this.welcome !== null;
    }
    channelList() {
      return [...this.channels.values()].sort((a, b) => a.name.localeCompare(b.name));
    }
    channelByName(name) {
      for (const channel of this.channels.values()) if (channel.name === name) return channel;
      return void 0;
    }
    /** Sends a one-way message (the channel must let clients publish). */
    publish(channelName, content) {
      const channel = this.requireChannel(channelName);
      this.send(encodeData({ channel: channel.id, content, timestampNs: nowNs() }));
    }
    /** Sends a request and resolves with the game's `Response` (status Ok). */
    request(channelName, content) {
      let channel;
      try {
        channel = this.requireChannel(channelName);
      } catch (e) {
        return Promise.reject(e);
      }
      const requestId = this.takeRequestId();
      const timeoutMs = (this.welcome?.limits.requestTimeoutMs || 1e4) + REQUEST_GRACE_MS;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(requestId);
          reject(new RequestError(`no answer within ${timeoutMs} ms`, "Timeout"));
        }, timeoutMs);
        this.pending.set(requestId, { resolve, reject, timer });
        this.send(encodeData({ channel: channel.id, requestId, content, timestampNs: nowNs() }));
      });
    }
    /**
     * Subscribes to more patterns on the current connection (those in the
     * options are renewed after every Welcome; these are not). Resolves once
     * the host confirmed, so every later publish is routed to this page.
     */
    subscribe(patterns) {
      const requestId = this.takeRequestId();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(requestId);
          reject(new RequestError("the host did not confirm the subscription", "Timeout"));
        }, REQUEST_GRACE_MS);
        this.pending.set(requestId, { resolve: () => resolve(), reject, timer });
        try {
          this.send(encodeSubscribe(requestId, [], patterns));
        } catch (e) {
          this.settle(requestId, () => {
          });
          reject(e);
        }
      });
    }
    // -------------------------------------------------------------------------
    requireChannel(name) {
      if (!this.welcome) throw new RequestError("not connected", "Closed");
      const channel = this.channelByName(this.scope + name);
      if (!channel) {
        throw new RequestError(`no channel ${JSON.stringify(this.scope + name)} is advertised`, "UnknownChannel");
      }
      return channel;
    }
    takeRequestId() {
      const id = this.nextRequestId;
      this.nextRequestId = id >= 0xffffffffffffffffn ? 1n : id + 1n;
      return id;
    }
    send(frame) {
      if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
        throw new RequestError("not connected", "Closed");
      }
      this.socket.send(frame);
    }
    open() {
      this.retryTimer = null;
      this.stateChanged.emit({ state: "connecting", attempt: this.attempt + 1 });
      let socket;
      try {
        socket = new WebSocket(this.options.url);
      } catch (e) {
        this.closed(1006, String(e));
        return;
      }
      socket.binaryType = "arraybuffer";
      this.socket = socket;
      socket.onopen = () => {
        socket.send(encodeHello(this.options.clientName, void 0, this.options.token));
      };
      socket.onmessage = (event) => {
        if (!(event.data instanceof ArrayBuffer)) {
          this.notice.emit("ignored a text message from the host");
          return;
        }
        let frame;
        try {
          frame = decodeFrame(event.data);
        } catch (e) {
          this.notice.emit(`bad frame from host: ${e.message}`);
          return;
        }
        this.handle(frame);
      };
      socket.onclose = (event) => {
        if (this.socket !== socket) return;
        this.socket = null;
        this.closed(event.code, event.reason);
      };
      socket.onerror = () => {
      };
    }
    closed(code, reason) {
      this.welcome = null;
      for (const [, pending] of this.pending) {
        clearTimeout(pending.timer);
        pending.reject(new RequestError("connection closed", "Closed"));
      }
      this.pending.clear();
      if (this.stopped) {
        this.stateChanged.emit({ state: "closed", code, reason, retryInMs: null });
        return;
      }
      const min = this.options.minBackoffMs ?? 500;
      const max = this.options.maxBackoffMs ?? 1e4;
      const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 16));
      this.attempt++;
      this.stateChanged.emit({ state: "closed", code, reason, retryInMs: delay });
      this.retryTimer = setTimeout(() => this.open(), delay);
    }
    handle(frame) {
      switch (frame.kind) {
        case "welcome":
          this.onWelcome(frame);
          break;
        case "advertise":
          for (const channel of frame.channels) this.channels.set(channel.id, channel);
          this.channelsChanged.emit(this.channelList());
          break;
        case "unadvertise":
          for (const id of frame.channelIds) this.channels.delete(id);
          this.channelsChanged.emit(this.channelList());
          break;
        case "data":
          if (frame.requestId !== 0n) {
            const refusal = { ok: false, error: "the browser editor answers no requests" };
            this.send(encodeResponse(frame.requestId, frame.channel, refusal));
          }
          this.data.emit({ message: frame, channel: this.channels.get(frame.channel) });
          break;
        case "response":
          this.settle(frame.requestId, (p) => {
            if (frame.ok) p.resolve(frame);
            else p.reject(new RequestError(frame.error || "request failed", "Failed"));
          });
          break;
        case "error":
          this.onError(frame);
          break;
        case "ignored":
          break;
      }
    }
    onWelcome(welcome) {
      const sessionChanged = this.lastSessionId !== null && this.lastSessionId !== welcome.sessionId;
      this.lastSessionId = welcome.sessionId;
      this.welcome = welcome;
      this.attempt = 0;
      this.channels = new Map(welcome.channels.map((c) => [c.id, c]));
      this.stateChanged.emit({ state: "connected", welcome, sessionChanged });
      this.channelsChanged.emit(this.channelList());
      if (this.options.patterns.length > 0) {
        const requestId = this.takeRequestId();
        const timer = setTimeout(() => this.pending.delete(requestId), REQUEST_GRACE_MS);
        this.pending.set(requestId, {
          resolve: () => {
          },
          reject: (e) => this.notice.emit(`subscribe failed: ${e.message}`),
          timer
        });
        this.send(encodeSubscribe(requestId, [], this.options.patterns));
      }
    }
    onError(error) {
      const text = `${error.codeName}: ${error.message}`;
      const ours = error.codeName !== "UnknownRequest";
      if (ours && error.requestId !== 0n && this.pending.has(error.requestId)) {
        this.settle(error.requestId, (p) => p.reject(new RequestError(error.message, error.codeName)));
      } else {
        this.notice.emit(text);
      }
    }
    settle(requestId, action) {
      const pending = this.pending.get(requestId);
      if (!pending) return;
      this.pending.delete(requestId);
      clearTimeout(pending.timer);
      action(pending);
    }
  };
  function describeError(e) {
    if (e instanceof RequestError) return `${e.code}: ${e.message}`;
    return e instanceof Error ? e.message : String(e);
  }

  // src/hardware.ts
  var EVENTS_PATTERN = "hardware/events/*";
  var DEVICES_CHANNEL = "hardware/devices";
  var TYPES_CHANNEL = "hardware/types";
  var ADAPTERS_CHANNEL = "hardware/adapters";
  var DISCOVER_CHANNEL = "hardware/discover";
  var REGISTER_CHANNEL = "hardware/register";
  var COMMAND_CHANNEL = "hardware/command";
  var CHANGED_EVENT = "hardware/events/changed";
  var DISCOVERED_EVENT = "hardware/events/discovered";
  var ERROR_EVENT = "hardware/events/error";
  var ADAPTERS_EVENT = "hardware/events/adapters";
  function summarizeAdapter(adapter) {
    const status = String(adapter.status ?? "unknown").replace(/_/g, " ");
    const troubled = adapter.status === "failed" || adapter.status === "not_answering";
    const problem = troubled ? adapter.error || `the ${radioName(adapter.radio)} adapter gave no reason` : null;
    const facts = [
      adapter.port && `port ${adapter.port}`,
      adapter.firmware && `firmware ${adapter.firmware}`,
      `${adapter.devices ?? 0} devices`,
      `${adapter.queued ?? 0} jobs queued`
    ].filter(Boolean);
    return { label: `${adapter.name}: ${status}`, problem, detail: facts.join(", ") };
  }
  var HardwareError = class extends Error {
    constructor(message, code, field, rule, errors = [], device) {
      super(message);
      this.code = code;
      this.field = field;
      this.rule = rule;
      this.errors = errors;
      this.device = device;
    }
    /** Every field the bridge complained about. */
    get fields() {
      const fields = this.errors.map((e) => e.field);
      if (this.field && !fields.includes(this.field)) fields.unshift(this.field);
      return fields;
    }
    /** One line for the page: the code, then every field's message (or the message). */
    describe() {
      const messages = this.errors.length > 1 ? this.errors.map((e) => e.message).join("; ") : this.message;
      return `${this.code}: ${messages}`;
    }
  };
  function hardwareError(e) {
    if (e instanceof HardwareError) return e;
    if (e instanceof RequestError) {
      if (e.code === "Failed") {
        try {
          const body = JSON.parse(e.message);
          if (body && typeof body.code === "string") {
            const errors = Array.isArray(body.errors) ? body.errors : [];
            return new HardwareError(
              typeof body.message === "string" ? body.message : body.code,
              body.code,
              typeof body.field === "string" ? body.field : void 0,
              typeof body.rule === "string" ? body.rule : void 0,
              errors,
              typeof body.device === "string" ? body.device : void 0
            );
          }
        } catch {
        }
      }
      return new HardwareError(e.message, e.code);
    }
    return new HardwareError(e instanceof Error ? e.message : String(e), "error");
  }
  async function jsonRequest(connection, channel, body = {}) {
    let text;
    try {
      text = contentText((await connection.request(channel, jsonContent(body))).content);
    } catch (e) {
      throw hardwareError(e);
    }
    return text ? JSON.parse(text) : null;
  }
  function payloadOf(spec) {
    return spec.payload ?? {};
  }
  function setsField(spec, field) {
    const payload = payloadOf(spec);
    if (!payload[field]) return false;
    return Object.entries(payload).every(([name, rule]) => name === field || !rule.required);
  }
  function planControls(type) {
    const controls = [];
    const covered = /* @__PURE__ */ new Set();
    const commands = Object.entries(type.commands);
    const noPayload = ([, spec]) => Object.keys(payloadOf(spec)).length === 0;
    for (const [field, rule] of Object.entries(type.state)) {
      if (rule.read_only) continue;
      if (rule.type === "boolean") {
        const on = commands.find((c) => noPayload(c) && c[1].effect?.[field] === true)?.[0];
        const off = commands.find((c) => noPayload(c) && c[1].effect?.[field] === false)?.[0];
        const toggle = commands.find((c) => noPayload(c) && c[1].toggle?.includes(field))?.[0];
        if (on && off) {
          controls.push({ kind: "switch", field, on, off });
          covered.add(on).add(off);
          if (toggle) covered.add(toggle);
        } else if (toggle) {
          controls.push({ kind: "switch", field, toggle });
          covered.add(toggle);
        }
      } else if ((rule.type === "integer" || rule.type === "number") && isFinite(rule.minimum) && isFinite(rule.maximum)) {
        const command = commands.find(([, spec]) => setsField(spec, field))?.[0];
        if (command) {
          const min = rule.minimum;
          const max = rule.maximum;
          const step = rule.type === "integer" ? 1 : niceStep((max - min) / 100);
          controls.push({ kind: "slider", field, command, min, max, step, unit: rule.unit });
        }
      } else if (rule.type === "string" && rule.format === "hex" && rule.length === 6) {
        const command = commands.find(([, spec]) => setsField(spec, field))?.[0];
        if (command) controls.push({ kind: "color", field, command });
      }
    }
    for (const [command, spec] of commands) {
      if (covered.has(command)) continue;
      const fields = payloadOf(spec);
      if (Object.keys(fields).length === 0) controls.push({ kind: "button", command, description: spec.description });
      else controls.push({ kind: "form", command, description: spec.description, fields });
    }
    const rank = { switch: 0, slider: 1, color: 2, button: 3, form: 4 };
    return controls.map((c, i) => [c, i]).sort((a, b) => rank[a[0].kind] - rank[b[0].kind] || a[1] - b[1]).map(([c]) => c);
  }
  function stateOrder(type, state) {
    const names = Object.keys(type?.state ?? {});
    for (const name of Object.keys(state)) if (!names.includes(name)) names.push(name);
    const boolean = (name) => (type?.state[name]?.type ?? typeof state[name]) === "boolean";
    return [...names.filter(boolean), ...names.filter((n) => !boolean(n))];
  }
  var RADIOS = { zigbee: "Zigbee", zwave: "Z-Wave", wifi: "Wi-Fi", bluetooth: "Bluetooth", plugin: "Plugin" };
  function radioName(radio) {
    return RADIOS[radio] ?? radio;
  }
  function isFinite(n) {
    return typeof n === "number" && Number.isFinite(n);
  }
  function niceStep(raw) {
    if (raw <= 0) return 1;
    const power = 10 ** Math.floor(Math.log10(raw));
    return Math.min(1, power);
  }
  function requiredConfig(type) {
    return Object.fromEntries(Object.entries(type.config).filter(([, rule]) => rule.required));
  }
  function fieldValue(rule, raw) {
    if (typeof raw === "boolean") return raw;
    const text = raw.trim();
    if (text === "") return void 0;
    if (rule.type === "integer" || rule.type === "number") {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    if (rule.type === "boolean") return text === "true" ? true : text === "false" ? false : text;
    return raw;
  }
  var UNITS = {
    percent: "%",
    "degree celsius": "°C",
    watts: "W",
    kilograms: "kg",
    seconds: "s",
    milliseconds: "ms"
  };
  function unitSymbol(unit) {
    return unit ? UNITS[unit] ?? unit : "";
  }
  function formatValue(rule, value) {
    if (value === void 0 || value === null) return "—";
    if (typeof value === "boolean") return value ? "on" : "off";
    if (typeof value === "number") {
      const unit = unitSymbol(rule?.unit);
      const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
      return unit ? `${text}${unit === "%" || unit.startsWith("°") ? "" : " "}${unit}` : text;
    }
    if (value === "") return "—";
    if (typeof value === "string") return rule?.format === "hex" && rule.length === 6 ? `#${value}` : value;
    return JSON.stringify(value);
  }
  function fieldTitle(name, rule) {
    return rule?.title ?? name.replace(/_/g, " ");
  }
  function applyChange(device, event) {
    const next = { ...device, state: { ...event.state } };
    if (event.name !== void 0) next.name = event.name;
    if (event.config !== void 0) next.config = { ...event.config };
    if (event.available !== void 0) next.available = event.available;
    if (event.cause === "register" || event.cause === "restore") {
      next.registered = true;
      next.available = true;
    }
    return next;
  }

  // src/device_row.ts
  var DeviceRow = class {
    constructor(host, id) {
      this.host = host;
      this.id = id;
      /** What the controls were built for; rebuilt when it changes. */
      this.controlsKey = "";
      this.switches = [];
      this.sliders = [];
      this.colors = [];
      this.flashTimers = /* @__PURE__ */ new Map();
      const row = document.createElement("tr");
      row.dataset.deviceId = id;
      this.element = row;
      this.nameCell = row.insertCell();
      this.radioCell = row.insertCell();
      this.typeCell = row.insertCell();
      this.statusCell = row.insertCell();
      this.stateCell = row.insertCell();
      this.stateCell.className = "state";
      this.stateCell.dataset.testid = "device-state";
      const controlsCell = row.insertCell();
      controlsCell.className = "controls";
      this.controls = document.createElement("div");
      this.controls.className = "control-row";
      this.result = document.createElement("p");
      this.result.className = "result";
      this.result.dataset.testid = "device-result";
      this.result.setAttribute("aria-live", "polite");
      controlsCell.append(this.controls, this.result);
    }
    render(device, type, changes) {
      const row = this.element;
      row.dataset.type = device.type;
      row.dataset.radio = device.radio;
      row.dataset.registered = String(device.registered);
      row.dataset.available = String(device.available);
      const name = document.createElement("div");
      name.className = "device-name";
      name.dataset.testid = "device-name";
      name.textContent = device.name ?? device.type_name ?? device.type;
      name.classList.toggle("unnamed", device.name === null);
      const id = document.createElement("div");
      id.className = "mono description nowrap";
      id.textContent = device.id;
      this.nameCell.replaceChildren(name, id);
      setText(this.radioCell, radioName(device.radio));
      setText(this.typeCell, device.type_name ?? type?.name ?? device.type);
      this.typeCell.title = [device.type, device.manufacturer, device.model].filter(Boolean).join(" · ");
      const badges = [badge(device.registered ? "registered" : "discovered", device.registered ? "ok" : "muted")];
      if (!device.available) badges.push(badge("unavailable", "warn"));
      this.statusCell.replaceChildren(...badges);
      this.renderState(device, type, changes ?? []);
      const key = `${type ? type.id : "?"}|${device.registered}`;
      if (key !== this.controlsKey) {
        this.controlsKey = key;
        this.buildControls(device, type);
      }
      this.syncControls(device);
    }
    showResult(state, text) {
      this.result.dataset.state = state;
      this.result.textContent = text;
    }
    // -------------------------------------------------------------------------
    renderState(device, type, changes) {
      const chips = stateOrder(type, device.state).filter((name) => device.state[name] !== void 0).map((name) => {
        const rule = type?.state[name];
        const value = device.state[name];
        const chip = document.createElement("span");
        chip.className = "field";
        chip.dataset.stateField = name;
        chip.dataset.value = typeof value === "string" ? value : JSON.stringify(value);
        const title = fieldTitle(name, rule);
        const shown = document.createElement("span");
        shown.className = "field-value";
        shown.textContent = formatValue(rule, value);
        if (typeof value === "boolean") shown.dataset.on = String(value);
        chip.title = `${name}: ${JSON.stringify(value)}`;
        if (typeof value === "boolean" && title.toLowerCase() === "on") {
          chip.append(shown);
        } else {
          const label = document.createElement("span");
          label.className = "field-name";
          label.textContent = title;
          chip.append(label, shown);
        }
        if (rule?.format === "hex" && typeof value === "string" && value.length === 6) {
          const swatch = document.createElement("span");
          swatch.className = "swatch";
          swatch.style.background = `#${value}`;
          chip.append(swatch);
        }
        if (changes.includes(name)) this.flash(chip, name);
        else if (this.flashTimers.has(name)) chip.classList.add("changed");
        return chip;
      });
      if (chips.length === 0) {
        const none = document.createElement("span");
        none.className = "description";
        none.textContent = device.registered ? "no state yet" : "register to read state";
        chips.push(none);
      }
      this.stateCell.replaceChildren(...chips);
    }
    /** Marks a chip for a moment after its value changed. */
    flash(chip, name) {
      chip.classList.add("changed");
      const old = this.flashTimers.get(name);
      if (old) clearTimeout(old);
      this.flashTimers.set(
        name,
        setTimeout(() => {
          this.flashTimers.delete(name);
          this.stateCell.querySelector(`[data-state-field="${CSS.escape(name)}"]`)?.classList.remove("changed");
        }, 1500)
      );
    }
    buildControls(device, type) {
      this.switches = [];
      this.sliders = [];
      this.colors = [];
      if (!type) {
        this.controls.replaceChildren(textDiv(`type ${JSON.stringify(device.type)} is not loaded`, "description"));
        return;
      }
      if (!device.registered) {
        this.controls.replaceChildren(this.registerForm(device, type));
        return;
      }
      const inline = [];
      const forms = [];
      for (const control of planControls(type)) {
        const element = this.control(control, type);
        (control.kind === "form" ? forms : inline).push(element);
      }
      if (forms.length > 0) {
        const details2 = document.createElement("details");
        details2.className = "commands";
        details2.dataset.testid = "commands";
        const summary = document.createElement("summary");
        summary.textContent = "commands";
        details2.append(summary, ...forms);
        inline.push(details2);
      }
      this.controls.replaceChildren(...inline);
    }
    control(control, type) {
      switch (control.kind) {
        case "switch": {
          const button2 = document.createElement("button");
          button2.type = "button";
          button2.className = "switch";
          button2.dataset.testid = "toggle";
          button2.dataset.field = control.field;
          button2.addEventListener("click", () => {
            const on = this.host.device(this.id)?.state[control.field] === true;
            const command = control.toggle ?? (on ? control.off : control.on);
            void this.send(command, {}, [button2]);
          });
          this.switches.push({ field: control.field, button: button2 });
          return button2;
        }
        case "slider": {
          const label = document.createElement("label");
          label.className = "slider";
          const title = document.createElement("span");
          title.textContent = fieldTitle(control.field, type.state[control.field]);
          const input = document.createElement("input");
          input.type = "range";
          input.min = String(control.min);
          input.max = String(control.max);
          input.step = String(control.step);
          input.dataset.testid = "slider";
          input.dataset.field = control.field;
          input.dataset.command = control.command;
          const output = document.createElement("output");
          const parts = { field: control.field, input, output, unit: unitSymbol(control.unit), busy: false };
          input.addEventListener("input", () => {
            parts.busy = true;
            output.textContent = `${input.value}${parts.unit}`;
          });
          input.addEventListener("change", () => {
            parts.busy = true;
            void this.send(control.command, { [control.field]: Number(input.value) }, []).finally(() => {
              parts.busy = false;
              const device = this.host.device(this.id);
              if (device) this.syncControls(device);
            });
          });
          label.append(title, input, output);
          this.sliders.push(parts);
          return label;
        }
        case "color": {
          const label = document.createElement("label");
          label.className = "color";
          const title = document.createElement("span");
          title.textContent = fieldTitle(control.field, type.state[control.field]);
          const input = document.createElement("input");
          input.type = "color";
          input.dataset.testid = "color";
          input.dataset.field = control.field;
          input.addEventListener("change", () => void this.send(control.command, { [control.field]: input.value.slice(1) }, []));
          label.append(title, input);
          this.colors.push({ field: control.field, input });
          return label;
        }
        case "button": {
          const button2 = document.createElement("button");
          button2.type = "button";
          button2.className = "small";
          button2.dataset.testid = "command";
          button2.dataset.command = control.command;
          button2.textContent = control.command.replace(/_/g, " ");
          if (control.description) button2.title = control.description;
          button2.addEventListener("click", () => void this.send(control.command, {}, [button2]));
          return button2;
        }
        case "form":
          return this.commandForm(control.command, control.fields, control.description);
      }
    }
    /** A form with one input per payload field; the bridge validates what it sends. */
    commandForm(command, fields, description) {
      const form = fieldsForm(fields);
      form.dataset.command = command;
      const button2 = submitButton(command.replace(/_/g, " "));
      button2.dataset.testid = "send-command";
      if (description) button2.title = description;
      form.append(button2);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        void this.send(command, readFields(form, fields), [button2], form);
      });
      return form;
    }
    registerForm(device, type) {
      const fields = { name: { type: "string", title: "name" }, ...requiredConfig(type) };
      const form = fieldsForm(fields);
      form.classList.add("register");
      const name = form.querySelector('[data-field="name"]');
      if (name) name.placeholder = `${type.name} ${device.address.replace(/:/g, "").slice(-4)}`;
      const button2 = submitButton("register");
      button2.dataset.testid = "register";
      form.append(button2);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const values = readFields(form, fields);
        const { name: chosen, ...config } = values;
        const body = { device: this.id };
        if (chosen !== void 0) body.name = chosen;
        if (Object.keys(config).length > 0) body.config = config;
        void this.request(REGISTER_CHANNEL, body, "register", [button2], form).then((answer) => {
          const registered = answer?.device;
          if (registered) this.host.updated(registered);
        });
      });
      return form;
    }
    /** Sends a command; the answer's state is shown at once (the `changed` event follows). */
    async send(command, payload, buttons, form) {
      const body = { device: this.id, command };
      if (Object.keys(payload).length > 0) body.payload = payload;
      const answer = await this.request(COMMAND_CHANNEL, body, describeCommand(command, payload), buttons, form);
      const device = this.host.device(this.id);
      if (answer?.state && device) this.host.updated({ ...device, state: answer.state });
    }
    /** One request with the row's result line; resolves with the answer, or null when it failed. */
    async request(channel, body, what, buttons, form) {
      for (const b of buttons) b.disabled = true;
      this.controls.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
      this.showResult("pending", `${what}…`);
      try {
        const answer = await jsonRequest(this.host.connection, channel, body);
        this.showResult("ok", `${what}: done`);
        return answer;
      } catch (e) {
        const error = hardwareError(e);
        this.showResult("error", error.describe());
        for (const field of error.fields) {
          const input = form?.querySelector(`[data-field="${CSS.escape(field)}"]`);
          if (input) {
            input.setAttribute("aria-invalid", "true");
            input.title = error.errors.find((x) => x.field === field)?.message ?? error.message;
          }
        }
        return null;
      } finally {
        for (const b of buttons) b.disabled = false;
      }
    }
    /** Puts the controls in step with the device's state (unless the user is moving them). */
    syncControls(device) {
      for (const { field, button: button2 } of this.switches) {
        const on = device.state[field] === true;
        button2.setAttribute("aria-pressed", String(on));
        button2.dataset.on = String(on);
        setText(button2, on ? "turn off" : "turn on");
      }
      for (const slider of this.sliders) {
        const value = device.state[slider.field];
        if (typeof value !== "number" || slider.busy) continue;
        slider.input.value = String(value);
        setText(slider.output, `${value}${slider.unit}`);
      }
      for (const { field, input } of this.colors) {
        const value = device.state[field];
        if (typeof value === "string" && /^[0-9a-fA-F]{6}$/.test(value) && document.activeElement !== input) {
          input.value = `#${value.toLowerCase()}`;
        }
      }
    }
  };
  function fieldsForm(fields) {
    const form = document.createElement("form");
    form.className = "row fields";
    form.autocomplete = "off";
    form.noValidate = true;
    for (const [name, rule] of Object.entries(fields)) form.append(fieldInput(name, rule));
    return form;
  }
  function fieldInput(name, rule) {
    const label = document.createElement("label");
    const unit = unitSymbol(rule.unit);
    const title = rule.title ?? fieldTitle(unit ? name.replace(new RegExp(`_${unit}$`), "") : name, rule);
    label.textContent = `${title}${unit ? ` (${unit})` : ""}${rule.required ? " *" : ""}`;
    let input;
    if (rule.enum || rule.type === "boolean") {
      const select = document.createElement("select");
      const options = rule.enum ?? [true, false];
      if (!rule.required) select.append(new Option("", ""));
      for (const value of options) select.append(new Option(String(value), String(value)));
      input = select;
    } else {
      const text = document.createElement("input");
      if (rule.type === "integer" || rule.type === "number") {
        text.type = "number";
        text.step = rule.type === "integer" ? "1" : "any";
        if (rule.minimum !== void 0) text.min = String(rule.minimum);
        if (rule.maximum !== void 0) text.max = String(rule.maximum);
      } else {
        text.placeholder = rule.description ?? "";
      }
      input = text;
    }
    input.name = name;
    input.dataset.field = name;
    if (rule.description) input.title = rule.description;
    label.append(input);
    return label;
  }
  function readFields(form, fields) {
    const values = {};
    for (const [name, rule] of Object.entries(fields)) {
      const input = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
      if (!input) continue;
      const raw = input.value;
      const option = rule.enum?.find((v) => String(v) === raw);
      const value = option !== void 0 ? option : fieldValue(rule, raw);
      if (value !== void 0) values[name] = value;
    }
    return values;
  }
  function describeCommand(command, payload) {
    return Object.keys(payload).length > 0 ? `${command} ${JSON.stringify(payload)}` : command;
  }
  function submitButton(text) {
    const button2 = document.createElement("button");
    button2.type = "submit";
    button2.className = "small";
    button2.textContent = text;
    return button2;
  }
  function badge(text, tone) {
    const span = document.createElement("span");
    span.className = `badge ${tone}`;
    span.textContent = text;
    return span;
  }
  function textDiv(text, className) {
    const div = document.createElement("div");
    if (className) div.className = className;
    div.textContent = text;
    return div;
  }
  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  // src/devices.ts
  var Devices = class {
    constructor(connection, el) {
      this.connection = connection;
      this.el = el;
      this.devices = /* @__PURE__ */ new Map();
      this.types = /* @__PURE__ */ new Map();
      /** Types asked for one by one (see `fetchType`). */
      this.typesAsked = /* @__PURE__ */ new Set();
      this.rows = /* @__PURE__ */ new Map();
      this.phase = "idle";
      /** Bumped on every clear, so a load from an old connection does not land. */
      this.generation = 0;
      this.refreshTimer = null;
      el.discover.addEventListener("click", () => void this.discover());
    }
    /** The channel list changed (also right after every Welcome): load once the bridge is there. */
    channelsChanged() {
      if (this.phase !== "idle" || !this.connection.connected) return;
      if (!this.connection.channelByName(DEVICES_CHANNEL)) {
        this.el.discover.disabled = true;
        this.showResult("pending", "this game runs no hardware bridge");
        return;
      }
      void this.load();
    }
    /** The connection dropped: nothing shown is live any more. */
    clear() {
      this.generation++;
      this.phase = "idle";
      if (this.refreshTimer) clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
      this.devices.clear();
      this.types.clear();
      this.typesAsked.clear();
      this.rows.clear();
      this.el.table.replaceChildren();
      this.el.adapters.replaceChildren();
      this.el.count.textContent = "0";
      this.showResult("pending", "");
    }
    /** One message on a `hardware/events/*` channel. */
    receive(channel, message) {
      let body;
      try {
        body = contentJson(message.content);
      } catch {
        return;
      }
      if (!body || typeof body !== "object") return;
      switch (channel) {
        case CHANGED_EVENT:
          this.changed(body);
          break;
        case DISCOVERED_EVENT:
          this.updated(body);
          break;
        case ERROR_EVENT: {
          const error = body;
          const row = error.device ? this.rows.get(error.device) : void 0;
          if (row) row.showResult("error", `${error.code}: ${error.message}`);
          else this.showResult("error", `${error.radio}: ${error.code}: ${error.message}`);
          break;
        }
        case ADAPTERS_EVENT:
          this.showAdapters(body.adapters ?? []);
          break;
      }
    }
    device(id) {
      return this.devices.get(id);
    }
    /** Stores a device and draws its row (events, answers, discovery). */
    updated(device, changes) {
      if (!device || typeof device.id !== "string") return;
      this.devices.set(device.id, device);
      if (this.phase !== "loaded") return;
      let row = this.rows.get(device.id);
      if (!row) {
        row = new DeviceRow(this, device.id);
        this.rows.set(device.id, row);
        const after = [...this.rows.values()].map((r) => r.element).filter((r) => r.isConnected && (r.dataset.deviceId ?? "") > device.id).sort((a, b) => (a.dataset.deviceId ?? "") < (b.dataset.deviceId ?? "") ? -1 : 1)[0];
        this.el.table.insertBefore(row.element, after ?? null);
        this.el.count.textContent = String(this.rows.size);
      }
      row.render(device, this.types.get(device.type), changes);
      if (!this.types.has(device.type)) this.fetchType(device.type);
    }
    /**
     * A type the page has not loaded: plugins declare theirs when they start,
     * possibly after the page loaded the list. Asked once; the rows of that
     * type are drawn again with their controls when it arrives.
     */
    fetchType(id) {
      if (this.typesAsked.has(id)) return;
      this.typesAsked.add(id);
      const generation = this.generation;
      jsonRequest(this.connection, TYPES_CHANNEL, { id }).then((answer) => {
        if (generation !== this.generation) return;
        this.types.set(id, answer.type);
        for (const device of this.devices.values()) if (device.type === id) this.updated(device);
      }).catch(() => {
      });
    }
    // -------------------------------------------------------------------------
    async load() {
      const generation = this.generation;
      this.phase = "loading";
      this.el.discover.disabled = false;
      this.showResult("pending", "loading devices…");
      try {
        const types = jsonRequest(this.connection, TYPES_CHANNEL);
        const devices = jsonRequest(this.connection, DEVICES_CHANNEL).then((answer) => {
          if (generation === this.generation) for (const d of answer.devices) this.devices.set(d.id, d);
        });
        const adapters = jsonRequest(this.connection, ADAPTERS_CHANNEL).catch(() => null);
        const [typeList, , adapterList] = await Promise.all([types, devices, adapters]);
        if (generation !== this.generation) return;
        for (const type of typeList.types) this.types.set(type.id, type);
        this.phase = "loaded";
        for (const device of [...this.devices.values()].sort((a, b) => a.id < b.id ? -1 : 1)) this.updated(device);
        if (adapterList) this.showAdapters(adapterList.adapters);
        this.showResult("ok", `${this.devices.size} devices, ${this.types.size} device types`);
      } catch (e) {
        if (generation !== this.generation) return;
        this.phase = "idle";
        this.showResult("error", `loading devices failed: ${hardwareError(e).describe()}`);
      }
    }
    changed(event) {
      if (typeof event.device !== "string") return;
      const device = this.devices.get(event.device);
      if (!device) {
        if (this.phase === "loaded") this.scheduleRefresh();
        return;
      }
      this.updated(applyChange(device, event), Object.keys(event.changes ?? {}));
    }
    scheduleRefresh() {
      if (this.refreshTimer) return;
      const generation = this.generation;
      this.refreshTimer = setTimeout(() => {
        this.refreshTimer = null;
        jsonRequest(this.connection, DEVICES_CHANNEL).then((answer) => {
          if (generation === this.generation) for (const d of answer.devices) this.updated(d);
        }).catch((e) => this.showResult("error", `listing devices failed: ${hardwareError(e).describe()}`));
      }, 100);
    }
    async discover() {
      const generation = this.generation;
      this.el.discover.disabled = true;
      this.showResult("pending", "discovering…");
      try {
        const known = new Set(this.devices.keys());
        const answer = await jsonRequest(
          this.connection,
          DISCOVER_CHANNEL
        );
        if (generation !== this.generation) return;
        for (const device of answer.devices) this.updated(device);
        const fresh = answer.devices.filter((d) => !known.has(d.id)).length;
        const errors = answer.errors.map((e) => `${e.radio}: ${e.code}: ${e.message}`);
        const found = `found ${answer.devices.length} devices, ${fresh} new`;
        if (errors.length > 0) this.showResult("error", `${found}; ${errors.join("; ")}`);
        else this.showResult("ok", found);
      } catch (e) {
        if (generation === this.generation) this.showResult("error", `discover failed: ${hardwareError(e).describe()}`);
      } finally {
        this.el.discover.disabled = false;
      }
    }
    showAdapters(adapters) {
      const items = adapters.map((adapter) => {
        const summary = summarizeAdapter(adapter);
        const item = document.createElement("li");
        item.dataset.radio = adapter.radio;
        item.dataset.status = adapter.status;
        item.dataset.testid = "adapter";
        item.title = summary.detail;
        const label = document.createElement("span");
        label.className = "adapter-label";
        label.textContent = summary.label;
        item.append(label);
        if (summary.problem) {
          const problem = document.createElement("span");
          problem.className = "adapter-error";
          problem.dataset.testid = "adapter-error";
          problem.textContent = summary.problem;
          item.append(problem);
        }
        return item;
      });
      this.el.adapters.replaceChildren(...items);
    }
    showResult(state, text) {
      this.el.result.dataset.state = state;
      this.el.result.textContent = text;
    }
  };

  // src/echo.ts
  var ECHO_CHANNEL = "echo";
  var MAX_LINES = 50;
  var Echo = class {
    constructor(connection, el) {
      this.connection = connection;
      this.el = el;
      el.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.send();
      });
    }
    /** Something arrived on `echo` (the game's copy of what we sent). */
    receive(message) {
      this.line("received", contentText(message.content));
    }
    send() {
      const text = this.el.input.value;
      if (!text) return;
      const channel = this.connection.channelByName(ECHO_CHANNEL);
      try {
        if (channel?.publishers === "agents") {
          this.line("sent", text);
          this.connection.request(ECHO_CHANNEL, textContent(text)).then((response) => this.line("received", contentText(response.content))).catch((e) => this.line("error", describeError(e)));
        } else {
          this.connection.publish(ECHO_CHANNEL, textContent(text));
          this.line("sent", text);
        }
        this.el.input.value = "";
      } catch (e) {
        this.line("error", describeError(e));
      }
    }
    line(direction, text) {
      const item = document.createElement("li");
      item.dataset.direction = direction;
      const arrow = document.createElement("span");
      arrow.className = "arrow";
      arrow.textContent = direction === "sent" ? "→" : direction === "received" ? "←" : "!";
      const body = document.createElement("span");
      body.className = "text";
      body.textContent = text;
      item.append(arrow, body);
      this.el.log.append(item);
      while (this.el.log.children.length > MAX_LINES) this.el.log.firstElementChild?.remove();
      this.el.log.scrollTop = this.el.log.scrollHeight;
    }
  };

  // src/fleet.ts
  var INSTANCES_CHANNEL = "fleet/instances";
  var PREFIX = "fleet/";
  var FLEET_PATTERNS = [INSTANCES_CHANNEL, "fleet/*/telemetry/**", "fleet/*/scene/entities"];
  var Fleet = class {
    constructor(el) {
      this.el = el;
      this.lastScope = "";
      this.instances = [];
      /** Called with the new scope (`fleet/<id>/`) when the shown instance changes. */
      this.onSwitch = () => {
      };
      /** Called with its id when the shown instance leaves the listing (its game stopped or lost NATS). */
      this.onGone = () => {
      };
      this.selectedListed = false;
      this.selected = new URLSearchParams(location.search).get("instance");
      el.select.addEventListener("change", () => this.choose(el.select.value));
    }
    /** `fleet/<id>/` for the shown instance, or "" (no gateway, or no instance yet). */
    get scope() {
      return this.selected !== null && this.instances.length > 0 ? `${PREFIX}${this.selected}/` : "";
    }
    /**
     * The game's name for a channel the page received, or null when it belongs
     * to an instance not shown. Names outside `fleet/` pass unchanged.
     */
    localName(channel) {
      if (!channel.startsWith(PREFIX)) return channel;
      const scope = this.scope;
      return scope !== "" && channel.startsWith(scope) ? channel.slice(scope.length) : null;
    }
    /** Takes a `fleet/instances` message; true if it was one. */
    receive(channel, message) {
      if (channel !== INSTANCES_CHANNEL) return false;
      let listed;
      try {
        listed = contentJson(message.content);
      } catch {
        return true;
      }
      if (!Array.isArray(listed)) return true;
      this.instances = listed.filter((i) => typeof i?.id === "string");
      this.render();
      if (this.selected === null && this.instances.length > 0) this.choose(this.instances[0].id);
      this.notify();
      const stillListed = this.instances.some((i) => i.id === this.selected);
      if (this.selectedListed && !stillListed && this.selected !== null) this.onGone(this.selected);
      this.selectedListed = stillListed;
      return true;
    }
    choose(id) {
      this.selected = id;
      this.selectedListed = this.instances.some((i) => i.id === id);
      this.el.select.value = id;
      this.notify();
    }
    /** Tells the page only when the scope really changed (listings come with every heartbeat). */
    notify() {
      const scope = this.scope;
      if (scope === this.lastScope) return;
      this.lastScope = scope;
      this.onSwitch(scope);
    }
    render() {
      const ids = this.instances.map((i) => i.id);
      if (this.selected !== null && !ids.includes(this.selected)) ids.push(this.selected);
      const options = ids.map((id) => {
        const option = document.createElement("option");
        option.value = id;
        const listed = this.instances.find((i) => i.id === id);
        option.textContent = !listed ? `${id} (gone)` : listed.name && listed.name !== id ? `${listed.name} (${id})` : id;
        return option;
      });
      this.el.select.replaceChildren(...options);
      if (this.selected !== null) this.el.select.value = this.selected;
      this.el.picker.hidden = false;
      this.el.picker.dataset.instances = String(this.instances.length);
    }
  };

  // src/inspector.ts
  var QUERY_CHANNEL = "world/query";
  var NAME = "bevy_ecs::name::Name";
  var CHILD_OF = "bevy_ecs::hierarchy::ChildOf";
  var Inspector = class {
    constructor(connection, el) {
      this.connection = connection;
      this.el = el;
      this.selected = null;
      this.watchName = null;
      this.schemas = {};
      /** A tree read is under way; `stale` asks for one more after it. */
      this.reading = false;
      this.stale = false;
      /** Tree reads so far (`data-reads` on the tree), for tests and curious people. */
      this.reads = 0;
      /** Field inputs by `component|path`, updated in place by the watch. */
      this.fields = /* @__PURE__ */ new Map();
      this.layout = "";
      el.search.addEventListener("input", () => void this.refresh());
    }
    /** The connection is up (again): start if the game has an inspector. */
    async connected(clientId) {
      this.stop();
      const available = this.connection.channelByName(QUERY_CHANNEL) !== void 0;
      this.el.panel.dataset.available = String(available);
      if (!available) {
        this.show("error", "this game runs no inspector (built without the inspector feature)");
        return;
      }
      this.watchName = `inspector/watch/${clientId}`;
      try {
        await this.connection.subscribe([this.watchName]);
        this.schemas = await jsonRequest(this.connection, "registry/schema", {});
      } catch (e) {
        this.show("error", describeError(e));
      }
      if (this.selected !== null) await this.select(this.selected);
      else await this.watch().catch((e) => this.show("error", describeError(e)));
      await this.refresh();
    }
    /** The connection dropped: nothing to stop, the watch ends with it. */
    stop() {
      this.reading = false;
      this.stale = false;
    }
    /** The watch: the entity list, and the selected entity if any. */
    async watch() {
      const body = this.selected === null ? { list: true } : { list: true, entities: [this.selected] };
      await jsonRequest(this.connection, "world/watch", body);
    }
    /** Takes a Data message if it is this page's watch stream. */
    receive(channelName, message) {
      if (channelName !== this.watchName) return false;
      let watch;
      try {
        watch = contentJson(message.content);
      } catch {
        return true;
      }
      if (watch.list) void this.refresh();
      if (this.selected === null) return true;
      const components = watch.entities?.[String(this.selected)];
      if (components) this.render(components);
      return true;
    }
    /** Reads the tree; a read asked for while one is under way runs once after it. */
    async refresh() {
      if (this.reading) {
        this.stale = true;
        return;
      }
      this.reading = true;
      try {
        do {
          this.stale = false;
          await this.readTree();
        } while (this.stale && this.reading);
      } finally {
        this.reading = false;
      }
    }
    async readTree() {
      if (!this.connection.connected) return;
      this.reads += 1;
      this.el.tree.dataset.reads = String(this.reads);
      const name = this.el.search.value.trim();
      let rows;
      try {
        rows = await jsonRequest(this.connection, QUERY_CHANNEL, {
          data: { option: [NAME, CHILD_OF] },
          filter: {},
          ...name ? { name } : {}
        });
      } catch (e) {
        this.show("error", describeError(e));
        return;
      }
      this.renderTree(rows, name !== "");
    }
    /** Roots first, each followed by its children (indented); a search lists matches flat. */
    renderTree(rows, flat) {
      const byId2 = new Map(rows.map((r) => [r.entity, r]));
      const children = /* @__PURE__ */ new Map();
      const roots = [];
      for (const row of rows) {
        const parent = row.components[CHILD_OF];
        if (!flat && typeof parent === "number" && byId2.has(parent)) {
          if (!children.has(parent)) children.set(parent, []);
          children.get(parent).push(row);
        } else roots.push(row);
      }
      const items = [];
      const add = (row, depth) => {
        items.push(this.item(row, depth));
        if (depth < 32) for (const child of children.get(row.entity) ?? []) add(child, depth + 1);
      };
      roots.sort((a, b) => a.entity - b.entity).forEach((r) => add(r, 0));
      this.el.tree.replaceChildren(...items);
      this.el.count.textContent = String(rows.length);
    }
    item(row, depth) {
      const li = document.createElement("li");
      const name = row.components[NAME];
      li.dataset.entity = String(row.entity);
      li.dataset.name = typeof name === "string" ? name : "";
      li.style.paddingLeft = `${depth * 1.1 + 0.3}rem`;
      li.textContent = typeof name === "string" ? `${name} ` : "";
      const id = document.createElement("span");
      id.className = "muted mono";
      id.textContent = `#${row.entity}`;
      li.append(id);
      if (row.entity === this.selected) li.dataset.selected = "true";
      li.addEventListener("click", () => void this.select(row.entity));
      return li;
    }
    async select(entity) {
      this.selected = entity;
      this.layout = "";
      for (const li of this.el.tree.querySelectorAll("li")) {
        if (li.dataset.entity === String(entity)) li.dataset.selected = "true";
        else delete li.dataset.selected;
      }
      this.el.title.textContent = `entity ${entity}`;
      try {
        await this.watch();
        this.show("ok", `watching entity ${entity}`);
      } catch (e) {
        this.show("error", describeError(e));
      }
    }
    /** Builds the fields when the components or their shape changed; otherwise updates values in place. */
    render(components) {
      const leaves = [];
      for (const [type, value] of Object.entries(components).sort(([a], [b]) => a.localeCompare(b))) {
        flatten(value, "", (path, leaf) => leaves.push([type, path, leaf]));
      }
      const layout = leaves.map(([t, p, v]) => `${t}|${p}|${typeof v}`).join("\n");
      if (layout !== this.layout) {
        this.layout = layout;
        this.build(components, leaves);
        return;
      }
      for (const [type, path, value] of leaves) {
        const input = this.fields.get(`${type}|${path}`);
        if (!input || document.activeElement === input) continue;
        setInput(input, value);
      }
    }
    build(components, leaves) {
      this.fields.clear();
      const blocks = [];
      for (const type of Object.keys(components).sort()) {
        const block = document.createElement("fieldset");
        block.dataset.component = type;
        const legend = document.createElement("legend");
        legend.textContent = type.split("::").pop() ?? type;
        legend.title = type;
        block.append(legend);
        for (const [t, path, value] of leaves) {
          if (t !== type) continue;
          const label = document.createElement("label");
          label.className = "field";
          const caption = document.createElement("span");
          caption.textContent = path || "value";
          const input = this.input(type, path, value);
          input.dataset.field = path;
          this.fields.set(`${type}|${path}`, input);
          label.append(caption, input);
          block.append(label);
        }
        blocks.push(block);
      }
      this.el.components.replaceChildren(...blocks);
    }
    /** A number box, a checkbox, a text box, or a variant list for an enum of unit variants. */
    input(type, path, value) {
      const variants = this.unitVariants(type, path);
      let input;
      if (variants && typeof value === "string") {
        const select = document.createElement("select");
        for (const v of variants) select.add(new Option(v, v));
        input = select;
      } else {
        const box = document.createElement("input");
        box.type = typeof value === "number" ? "number" : typeof value === "boolean" ? "checkbox" : "text";
        if (box.type === "number") box.step = "any";
        input = box;
      }
      setInput(input, value);
      input.addEventListener("change", () => void this.edit(type, path, input, value));
      return input;
    }
    unitVariants(type, path) {
      let schema = this.schemas[type];
      for (const part of path.split(".").filter(Boolean)) {
        const ref = schema?.properties?.[part]?.$ref;
        schema = ref ? this.schemas[ref.replace("#/$defs/", "")] : void 0;
      }
      const names = schema?.kind === "Enum" ? (schema.oneOf ?? []).map((v) => v.const) : [];
      return names.length > 0 && names.every((n) => typeof n === "string") ? names : null;
    }
    async edit(type, path, input, was) {
      if (this.selected === null) return;
      let value;
      if (input instanceof HTMLInputElement && input.type === "checkbox") value = input.checked;
      else if (input instanceof HTMLInputElement && input.type === "number") value = Number(input.value);
      else value = input.value;
      if (typeof was === "number" && !Number.isFinite(value)) return this.show("error", `${path || type}: not a number`);
      try {
        await jsonRequest(this.connection, "world/mutate", { entity: this.selected, component: type, path, value });
        this.show("ok", `set ${type.split("::").pop()}${path ? `.${path}` : ""} = ${JSON.stringify(value)}`);
      } catch (e) {
        this.show("error", describeError(e));
      }
    }
    show(state, text) {
      this.el.result.dataset.state = state;
      this.el.result.textContent = text;
    }
  };
  function flatten(value, path, leaf) {
    if (Array.isArray(value)) {
      value.forEach((v, i) => flatten(v, `${path}[${i}]`, leaf));
    } else if (value !== null && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) flatten(v, path ? `${path}.${key}` : key, leaf);
    } else {
      leaf(path, value);
    }
  }
  function setInput(input, value) {
    if (input instanceof HTMLInputElement && input.type === "checkbox") input.checked = value === true;
    else {
      const text = typeof value === "number" ? String(Math.round(value * 1e6) / 1e6) : String(value ?? "");
      if (input.value !== text) input.value = text;
    }
  }

  // src/plugin_form.ts
  var LIST_CHANNEL = "plugins/list";
  var INSPECT_CHANNEL = "plugins/inspect";
  var INSTALL_CHANNEL = "plugins/install";
  var CONFIGURE_CHANNEL = "plugins/configure";
  var ENABLE_CHANNEL = "plugins/enable";
  var DISABLE_CHANNEL = "plugins/disable";
  var REMOVE_CHANNEL = "plugins/remove";
  var STATUS_CHANNEL = "plugins/status";
  var LOGS_CHANNEL = "plugins/logs";
  var LOG_LINES_KEPT = 50;
  function pluginId(entry) {
    if (typeof entry.status?.id === "string") return entry.status.id;
    return (entry.info?.id || entry.package).toLowerCase().replace(/[^a-z0-9_-]/g, "-");
  }
  function listKey(packages) {
    return JSON.stringify(packages.map(({ status: _status, ...rest }) => rest));
  }
  function describeStatus(status) {
    if (!status) return "no process";
    const state = status.state.replace(/_/g, " ");
    return status.reason ? `${state}: ${status.reason}` : state;
  }
  function formatUptime(ms) {
    if (ms === null || ms === void 0 || !Number.isFinite(ms) || ms < 0) return "";
    const s = Math.floor(ms / 1e3);
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
    return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
  }
  function checkSetting(name, rule, value, required) {
    const error = (ruleName, message) => ({ field: name, rule: ruleName, message: `${name}: ${message}` });
    if (value === void 0) return required ? error("required", "is required") : null;
    switch (rule.type) {
      case "integer":
        if (typeof value !== "number" || !Number.isInteger(value)) return error("type", `${JSON.stringify(value)} is not an integer`);
        break;
      case "number":
        if (typeof value !== "number") return error("type", `${JSON.stringify(value)} is not a number`);
        break;
      case "boolean":
        if (typeof value !== "boolean") return error("type", `${JSON.stringify(value)} is not true or false`);
        break;
      case "string":
        if (typeof value !== "string") return error("type", "is not text");
        break;
    }
    if (typeof value === "number") {
      if (typeof rule.minimum === "number" && value < rule.minimum) return error("range", `${value} is below the minimum ${rule.minimum}`);
      if (typeof rule.maximum === "number" && value > rule.maximum) return error("range", `${value} is above the maximum ${rule.maximum}`);
    }
    if (typeof value === "string") {
      const n = [...value].length;
      if (typeof rule.length === "number" && n !== rule.length) return error("length", `has ${n} characters, needs exactly ${rule.length}`);
      if (typeof rule.min_length === "number" && n < rule.min_length) return error("length", `has ${n} characters, needs at least ${rule.min_length}`);
      if (typeof rule.max_length === "number" && n > rule.max_length) return error("length", `has ${n} characters, allows at most ${rule.max_length}`);
    }
    if (Array.isArray(rule.enum) && !rule.enum.some((allowed) => allowed === value)) {
      return error("enum", `${JSON.stringify(value)} is not one of ${rule.enum.map((v) => JSON.stringify(v)).join(", ")}`);
    }
    return null;
  }
  function checkForm(settings, raw, stored = /* @__PURE__ */ new Set()) {
    const configuration = {};
    const errors = [];
    for (const [name, rule] of Object.entries(settings)) {
      const input = raw[name];
      const value = input === void 0 ? void 0 : fieldValue(rule, input);
      const required = rule.required === true && !stored.has(name);
      const error = checkSetting(name, rule, value, required);
      if (error) errors.push(error);
      else if (value !== void 0) configuration[name] = value;
    }
    return { configuration, errors };
  }
  function installBody(configuration, lamp, upgrade = false) {
    const options = new TextEncoder().encode(`${JSON.stringify({ configuration, upgrade })}
`);
    const body = new Uint8Array(options.length + lamp.length);
    body.set(options, 0);
    body.set(lamp, options.length);
    return body;
  }
  function packageError(e) {
    return hardwareError(e);
  }
  function fieldMessages(error) {
    const messages = /* @__PURE__ */ new Map();
    for (const e of error.errors) {
      if (!e.field || messages.has(e.field)) continue;
      const text = e.message || `${e.field}: refused (rule: ${e.rule})`;
      messages.set(e.field, e.rule && !text.includes(`rule: ${e.rule}`) ? `${text} (rule: ${e.rule})` : text);
    }
    return messages;
  }
  var LOG_PLUGINS_KEPT = 100;
  var LogBook = class {
    constructor(keep = LOG_LINES_KEPT) {
      this.keep = keep;
      this.lines = /* @__PURE__ */ new Map();
    }
    add(line) {
      if (typeof line?.plugin !== "string" || typeof line.line !== "string") return;
      const list = this.lines.get(line.plugin) ?? [];
      if (list.length === 0 && this.lines.size >= LOG_PLUGINS_KEPT) {
        const oldest = this.lines.keys().next().value;
        if (oldest !== void 0) this.lines.delete(oldest);
      }
      list.push(line);
      if (list.length > this.keep) list.splice(0, list.length - this.keep);
      this.lines.set(line.plugin, list);
    }
    of(plugin) {
      return this.lines.get(plugin) ?? [];
    }
    /** Forgets plugins no longer installed, so the book stays bounded by what is installed. */
    keepOnly(plugins) {
      for (const plugin of [...this.lines.keys()]) if (!plugins.has(plugin)) this.lines.delete(plugin);
    }
  };

  // src/plugin_card.ts
  function heading(info, extras) {
    const head = document.createElement("header");
    const name = document.createElement("strong");
    name.className = "plugin-name";
    name.textContent = info.name;
    const version = textSpan(info.version, "mono");
    version.dataset.role = "version";
    head.append(name, version, textSpan(info.package, "mono muted"), ...extras);
    return head;
  }
  function details(info) {
    const out = [];
    if (info.abstract) out.push(textLine(info.abstract, "abstract"));
    if (info.description) {
      const more = document.createElement("details");
      more.className = "plugin-description";
      const summary = document.createElement("summary");
      summary.textContent = "description";
      more.append(summary, textLine(info.description, "description"));
      out.push(more);
    }
    const list = document.createElement("dl");
    list.className = "plugin-info";
    const add = (term, value) => {
      if (!value) return;
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.dataset.info = term;
      dd.append(value);
      list.append(dt, dd);
    };
    add("authors", info.authors?.join(", "));
    add("license", info.license);
    add("website", link(info.website));
    add("repository", link(info.repository));
    add("email", info.email);
    if (list.children.length > 0) out.push(list);
    return out;
  }
  function link(url) {
    if (!url) return void 0;
    if (!/^https?:\/\//i.test(url)) return textSpan(url);
    const a = document.createElement("a");
    a.href = url;
    a.textContent = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  function settingsForm(settings, values, secretsSet) {
    const form = document.createElement("form");
    form.className = "fields plugin-config";
    form.autocomplete = "off";
    form.noValidate = true;
    for (const [name, rule] of Object.entries(settings)) form.append(settingInput(name, rule, values[name], secretsSet.has(name)));
    return form;
  }
  function settingInput(name, rule, value, secretSet) {
    const label = document.createElement("label");
    label.className = "setting";
    const unit = unitSymbol(rule.unit);
    const caption = document.createElement("span");
    caption.textContent = `${rule.title ?? fieldTitle(name, rule)}${unit ? ` (${unit})` : ""}${rule.required ? " *" : ""}`;
    let input;
    if (rule.enum || rule.type === "boolean") {
      const select = document.createElement("select");
      const options = rule.enum ?? [true, false];
      select.append(new Option("", ""));
      for (const option of options) select.append(new Option(String(option), String(option)));
      select.value = value === void 0 ? rule.default !== void 0 ? String(rule.default) : "" : String(value);
      input = select;
    } else {
      const box = document.createElement("input");
      if (rule.secret) {
        box.type = "password";
        box.autocomplete = "new-password";
        box.placeholder = secretSet ? "set (leave empty to keep)" : "";
      } else if (rule.type === "integer" || rule.type === "number") {
        box.inputMode = rule.type === "integer" ? "numeric" : "decimal";
        box.placeholder = rule.default !== void 0 ? String(rule.default) : rangeHint(rule);
      } else {
        box.placeholder = rule.default !== void 0 ? String(rule.default) : "";
      }
      if (!rule.secret && value !== void 0 && value !== null) box.value = String(value);
      input = box;
    }
    input.name = name;
    input.dataset.field = name;
    const hints = [rule.description, rangeHint(rule), rule.regex && `pattern ${rule.regex}`].filter(Boolean);
    if (hints.length > 0) input.title = hints.join("; ");
    const error = document.createElement("span");
    error.className = "field-error";
    error.dataset.errorFor = name;
    error.setAttribute("aria-live", "polite");
    label.append(caption, input, error);
    return label;
  }
  function rangeHint(rule) {
    if (rule.minimum !== void 0 && rule.maximum !== void 0) return `${rule.minimum} to ${rule.maximum}`;
    if (rule.minimum !== void 0) return `at least ${rule.minimum}`;
    if (rule.maximum !== void 0) return `at most ${rule.maximum}`;
    return "";
  }
  function readForm(form, settings) {
    const raw = {};
    for (const name of Object.keys(settings)) {
      const input = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
      if (input) raw[name] = input.value;
    }
    return raw;
  }
  function markFields(form, errors, result) {
    for (const span of form.querySelectorAll(".field-error")) span.textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
    for (const error of errors) {
      const input = form.querySelector(`[data-field="${CSS.escape(error.field)}"]`);
      const span = form.querySelector(`[data-error-for="${CSS.escape(error.field)}"]`);
      input?.setAttribute("aria-invalid", "true");
      if (span) span.textContent = error.rule && !error.message.includes("(rule:") ? `${error.message} (rule: ${error.rule})` : error.message;
    }
    if (errors.length > 0) setResult(result, "error", `${errors.length === 1 ? "a setting needs" : `${errors.length} settings need`} fixing`);
    return errors.length === 0;
  }
  function actions(...buttons) {
    const row = document.createElement("div");
    row.className = "row plugin-actions";
    row.append(...buttons);
    return row;
  }
  function button(text, type, className) {
    const b = document.createElement("button");
    b.type = type;
    b.textContent = text;
    if (className) b.className = className;
    return b;
  }
  function badge2(text, tone) {
    return textSpan(text, `badge ${tone}`);
  }
  function resultLine() {
    const p = textLine("", "result");
    p.dataset.role = "result";
    p.setAttribute("aria-live", "polite");
    return p;
  }
  function setResult(el, state, text) {
    el.dataset.state = state;
    el.textContent = text;
  }
  function textSpan(text, className) {
    const span = document.createElement("span");
    if (className) span.className = className;
    span.textContent = text;
    return span;
  }
  function textLine(text, className, state) {
    const p = document.createElement("p");
    p.className = className;
    if (state) p.dataset.state = state;
    p.textContent = text;
    return p;
  }

  // src/plugins_panel.ts
  var LIST_REFRESH_MS = 5e3;
  var UPTIME_TICK_MS = 1e3;
  var LOG_LINES_SHOWN = 12;
  var PluginsPanel = class {
    constructor(connection, el) {
      this.connection = connection;
      this.el = el;
      this.packages = [];
      this.listed = "";
      this.statuses = /* @__PURE__ */ new Map();
      /** When the status stream and the list last spoke: uptimes are counted on from there. */
      this.statusesAt = 0;
      this.listedAt = 0;
      this.ticker = null;
      this.logs = new LogBook();
      this.pending = null;
      this.maxMessageSize = Infinity;
      this.timer = null;
      el.file.addEventListener("change", () => void this.upload());
    }
    /** The connection is up (again): read the list if the game manages packages. */
    async connected(welcome) {
      this.stop();
      this.maxMessageSize = Number(welcome.limits.maxMessageSize) || Infinity;
      const available = this.connection.channelByName(LIST_CHANNEL) !== void 0;
      this.el.panel.dataset.available = String(available);
      this.el.file.disabled = !available;
      if (!available) {
        this.show("error", "this game manages no plugin packages (it advertises no plugins/list; the demo needs --packages-dir DIR)");
        return;
      }
      await this.refresh();
      this.timer = setInterval(() => void this.refresh(), LIST_REFRESH_MS);
      this.ticker = setInterval(() => this.packages.forEach((entry) => this.updateStatus(entry)), UPTIME_TICK_MS);
    }
    /** The connection dropped. */
    stop() {
      if (this.timer) clearInterval(this.timer);
      if (this.ticker) clearInterval(this.ticker);
      this.timer = null;
      this.ticker = null;
    }
    /** Takes `plugins/status` and `plugins/logs` messages. */
    receive(channelName, message) {
      if (channelName !== STATUS_CHANNEL && channelName !== LOGS_CHANNEL) return false;
      let body;
      try {
        body = contentJson(message.content);
      } catch {
        return true;
      }
      if (channelName === STATUS_CHANNEL) {
        if (!Array.isArray(body)) return true;
        this.statuses = new Map(body.filter((s) => typeof s?.id === "string").map((s) => [s.id, s]));
        this.statusesAt = Date.now();
        for (const entry of this.packages) this.updateStatus(entry);
      } else {
        const line = body;
        this.logs.add(line);
        const entry = this.packages.find((p) => pluginId(p) === line?.plugin);
        if (entry) this.updateLogs(entry);
      }
      return true;
    }
    /** Reads `plugins/list`; rebuilds the cards only when something changed, so typing is not lost. */
    async refresh(force = false) {
      if (!this.connection.connected) return;
      let packages;
      try {
        packages = (await jsonRequest(this.connection, LIST_CHANNEL, {})).packages ?? [];
      } catch (e) {
        this.show("error", `cannot list the plugins: ${describeError(e)}`);
        return;
      }
      const listed = listKey(packages);
      const changed = force || listed !== this.listed;
      this.listed = listed;
      this.packages = packages;
      this.listedAt = Date.now();
      if (!changed) {
        for (const entry of packages) this.updateStatus(entry);
        return;
      }
      this.logs.keepOnly(new Set(packages.map(pluginId)));
      this.el.list.replaceChildren(...packages.map((entry) => this.card(entry)));
      this.el.count.textContent = String(packages.length);
    }
    // -------------------------------------------------------------------------
    // Installing
    async upload() {
      const file = this.el.file.files?.[0];
      if (!file) return;
      if (file.size + 4096 > this.maxMessageSize) {
        this.show("error", `${file.name} has ${file.size} bytes, more than this host takes in one message (${this.maxMessageSize})`);
        return;
      }
      this.show("pending", `reading ${file.name}`);
      let bytes2;
      try {
        bytes2 = new Uint8Array(await file.arrayBuffer());
      } catch (e) {
        this.show("error", `cannot read ${file.name}: ${describeError(e)}`);
        return;
      }
      let inspected;
      try {
        inspected = await this.raw(INSPECT_CHANNEL, bytes2);
      } catch (e) {
        this.pending = null;
        this.el.pending.replaceChildren();
        this.show("error", `${file.name}: ${packageError(e).describe()}`);
        return;
      } finally {
        this.el.file.value = "";
      }
      const installed = this.packages.find((p) => p.package === inspected.info.package) ?? null;
      this.pending = { name: file.name, bytes: bytes2, inspected, installed };
      this.el.pending.replaceChildren(this.installForm(this.pending));
      this.show(
        "ok",
        installed ? `${file.name}: ${inspected.info.name} ${inspected.info.version} upgrades the installed ${installed.version}; its settings are kept` : `${file.name}: ${inspected.info.name} ${inspected.info.version}; fill in its settings and install`
      );
    }
    installForm(pending) {
      const box = document.createElement("article");
      box.className = "plugin pending";
      box.dataset.package = pending.inspected.info.package;
      const installed = pending.installed;
      const form = settingsForm(pending.inspected.config, installed?.configuration ?? {}, new Set(installed?.secrets_set ?? []));
      form.dataset.form = installed ? "upgrade" : "install";
      const install = button(installed ? `Upgrade from ${installed.version}` : "Install", "submit");
      install.dataset.action = "install";
      const cancel = button("Cancel", "button", "small");
      cancel.addEventListener("click", () => {
        this.pending = null;
        this.el.pending.replaceChildren();
        this.show("ok", "install cancelled");
      });
      form.append(actions(install, cancel));
      const result = resultLine();
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        void this.install(pending, form, result, [install, cancel]);
      });
      box.append(heading(pending.inspected.info, []), ...details(pending.inspected.info), form, result);
      return box;
    }
    async install(pending, form, result, buttons) {
      const installed = pending.installed;
      const stored = /* @__PURE__ */ new Set([...Object.keys(installed?.configuration ?? {}), ...installed?.secrets_set ?? []]);
      const { configuration, errors } = checkForm(pending.inspected.config, readForm(form, pending.inspected.config), stored);
      if (!markFields(form, errors, result)) return;
      buttons.forEach((b) => b.disabled = true);
      const doing = installed ? "upgrading" : "installing";
      setResult(result, "pending", `${doing} ${pending.inspected.info.package}`);
      try {
        const answer = await this.raw(
          INSTALL_CHANNEL,
          installBody(configuration, pending.bytes, installed !== null)
        );
        this.pending = null;
        this.el.pending.replaceChildren();
        const done = installed ? `upgraded ${answer.package} from ${installed.version} to` : `installed ${answer.package}`;
        this.show("ok", `${done} ${answer.version}${answer.enabled ? ", enabled" : ""}`);
        await this.refresh(true);
      } catch (e) {
        this.refused(e, form, result);
      } finally {
        buttons.forEach((b) => b.disabled = false);
      }
    }
    // -------------------------------------------------------------------------
    // Installed packages
    card(entry) {
      const card = document.createElement("article");
      card.className = "plugin";
      card.dataset.package = entry.package;
      card.dataset.enabled = String(entry.enabled);
      const info = entry.info ?? { package: entry.package, name: entry.name, version: entry.version, abstract: "" };
      const status = document.createElement("span");
      status.className = "plugin-status";
      status.dataset.role = "status";
      const enabled = badge2(entry.enabled ? "enabled" : "disabled", entry.enabled ? "ok" : "muted");
      enabled.dataset.role = "enabled";
      const result = resultLine();
      const toggle = button(entry.enabled ? "Disable" : "Enable", "button", "small");
      toggle.dataset.action = entry.enabled ? "disable" : "enable";
      toggle.addEventListener(
        "click",
        () => void this.act(entry.enabled ? DISABLE_CHANNEL : ENABLE_CHANNEL, entry.package, result, entry.enabled ? "disabled" : "enabled")
      );
      const remove = button("Remove", "button", "small danger");
      remove.dataset.action = "remove";
      remove.addEventListener("click", () => {
        if (remove.dataset.confirm !== "true") {
          remove.dataset.confirm = "true";
          remove.textContent = "Remove: sure?";
          return;
        }
        void this.act(REMOVE_CHANNEL, entry.package, result, "removed");
      });
      card.append(heading(info, [enabled, status]), ...details(info));
      if (entry.problem) card.append(textLine(entry.problem, "result", "error"));
      card.append(actions(toggle, remove));
      if (entry.config && Object.keys(entry.config).length > 0) card.append(this.configForm(entry, result));
      card.append(result);
      const logTitle = document.createElement("h3");
      logTitle.textContent = "Latest log lines";
      const log = document.createElement("ol");
      log.className = "log plugin-log";
      log.dataset.role = "log";
      card.append(logTitle, log);
      queueMicrotask(() => {
        this.updateStatus(entry);
        this.updateLogs(entry);
      });
      return card;
    }
    configForm(entry, result) {
      const settings = entry.config ?? {};
      const stored = /* @__PURE__ */ new Set([...Object.keys(entry.configuration), ...entry.secrets_set]);
      const form = settingsForm(settings, entry.configuration, new Set(entry.secrets_set));
      form.dataset.form = "configure";
      const save = button("Save settings", "submit", "small");
      save.dataset.action = "configure";
      form.append(actions(save));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        void this.configure(entry.package, settings, stored, form, result, save);
      });
      return form;
    }
    async configure(pkg, settings, stored, form, result, save) {
      const { configuration, errors } = checkForm(settings, readForm(form, settings), stored);
      if (!markFields(form, errors, result)) return;
      save.disabled = true;
      setResult(result, "pending", `saving the settings of ${pkg}`);
      try {
        await jsonRequest(this.connection, CONFIGURE_CHANNEL, { package: pkg, configuration });
        this.show("ok", `settings of ${pkg} saved`);
        setResult(result, "ok", "saved");
        form.querySelectorAll('input[type="password"]').forEach((input) => input.value = "");
        await this.refresh();
      } catch (e) {
        this.refused(e, form, result);
      } finally {
        save.disabled = false;
      }
    }
    async act(channel, pkg, result, done) {
      setResult(result, "pending", `${channel} ${pkg}`);
      try {
        const answer = await jsonRequest(this.connection, channel, { package: pkg });
        this.show("ok", `${pkg} ${done}${answer?.warning ? ` (${answer.warning})` : ""}`);
        await this.refresh(true);
      } catch (e) {
        setResult(result, "error", packageError(e).describe());
      }
    }
    /** A refusal: every field it names marked beside its input, the rest on the result line. */
    refused(e, form, result) {
      const error = packageError(e);
      const messages = fieldMessages(error);
      const errors = [...messages].map(([field, message]) => ({ field, rule: "", message }));
      markFields(form, errors, result);
      setResult(result, "error", error.describe());
    }
    updateStatus(entry) {
      const card = this.cardOf(entry.package);
      const span = card?.querySelector('[data-role="status"]');
      if (!card || !span) return;
      const streamed = this.statuses.get(pluginId(entry));
      const status = streamed ?? entry.status ?? void 0;
      const since = streamed ? this.statusesAt : this.listedAt;
      card.dataset.state = status?.state ?? "none";
      const facts = [describeStatus(status)];
      if (status) {
        facts.push(`restarts ${status.restarts}`);
        if (status.pid) facts.push(`pid ${status.pid}`);
        const up = formatUptime(typeof status.uptime_ms === "number" ? status.uptime_ms + (Date.now() - since) : null);
        if (up) facts.push(`up ${up}`);
      }
      span.textContent = facts.join(" · ");
      span.dataset.state = status?.state ?? "none";
      span.dataset.restarts = String(status?.restarts ?? 0);
    }
    updateLogs(entry) {
      const log = this.cardOf(entry.package)?.querySelector('[data-role="log"]');
      if (!log) return;
      const lines = this.logs.of(pluginId(entry)).slice(-LOG_LINES_SHOWN);
      log.replaceChildren(
        ...lines.map((l) => {
          const li = document.createElement("li");
          li.dataset.stream = l.stream;
          li.textContent = l.line;
          return li;
        })
      );
    }
    cardOf(pkg) {
      for (const card of this.el.list.querySelectorAll("article.plugin")) if (card.dataset.package === pkg) return card;
      return null;
    }
    /** A request whose body is bytes (a `.lamp` file), answered with JSON. */
    async raw(channel, body) {
      const answer = await this.connection.request(channel, body);
      const text = new TextDecoder().decode(answer.content);
      return text ? JSON.parse(text) : null;
    }
    show(state, text) {
      setResult(this.el.result, state, text);
    }
  };

  // src/scene.ts
  var COMMAND_CHANNEL2 = "scene/command";
  var ENTITIES_CHANNEL = "scene/entities";
  var Scene = class {
    constructor(connection, el) {
      this.connection = connection;
      this.el = el;
      this.rows = /* @__PURE__ */ new Map();
      el.form.addEventListener("submit", (event) => {
        event.preventDefault();
        void this.spawn();
      });
    }
    /** Takes one `scene/entities` message: `{"entities": [{id, name, x, y}]}`. */
    receive(message) {
      let entities;
      try {
        entities = contentJson(message.content).entities;
        if (!Array.isArray(entities)) return;
      } catch {
        return;
      }
      const seen = /* @__PURE__ */ new Set();
      let previous = null;
      for (const entity of entities) {
        seen.add(entity.id);
        let row = this.rows.get(entity.id);
        if (!row) {
          row = this.makeRow(entity);
          this.rows.set(entity.id, row);
        }
        const expected = previous ? previous.nextElementSibling : this.el.table.firstElementChild;
        if (expected !== row) this.el.table.insertBefore(row, expected);
        setText2(row.cells[2], entity.x.toFixed(2));
        setText2(row.cells[3], entity.y.toFixed(2));
        previous = row;
      }
      for (const [id, row] of this.rows) {
        if (!seen.has(id)) {
          row.remove();
          this.rows.delete(id);
        }
      }
      setText2(this.el.count, String(entities.length));
    }
    /** The connection dropped: the table is no longer live. */
    clear() {
      this.rows.clear();
      this.el.table.replaceChildren();
      setText2(this.el.count, "0");
    }
    makeRow(entity) {
      const row = document.createElement("tr");
      row.dataset.entityId = String(entity.id);
      row.dataset.name = entity.name;
      for (const text of [String(entity.id), entity.name, "", ""]) {
        const cell = row.insertCell();
        cell.textContent = text;
      }
      row.cells[0].className = "num";
      row.cells[2].className = "num";
      row.cells[3].className = "num";
      const action = row.insertCell();
      const button2 = document.createElement("button");
      button2.type = "button";
      button2.className = "small";
      button2.textContent = "despawn";
      button2.dataset.testid = "despawn";
      button2.addEventListener("click", () => void this.despawn(entity.id, entity.name));
      action.append(button2);
      return row;
    }
    async spawn() {
      const name = this.el.name.value.trim();
      const x = Number(this.el.x.value || 0);
      const y = Number(this.el.y.value || 0);
      if (!name) return this.showResult("error", "give the entity a name");
      if (!Number.isFinite(x) || !Number.isFinite(y)) return this.showResult("error", "x and y must be numbers");
      this.el.button.disabled = true;
      this.showResult("pending", `spawning ${name}…`);
      try {
        const answer = await this.command({ op: "spawn", name, x, y });
        this.showResult("ok", `spawned ${JSON.stringify(name)} as entity ${answer.id}`);
      } catch (e) {
        this.showResult("error", describeError(e));
      } finally {
        this.el.button.disabled = false;
      }
    }
    async despawn(id, name) {
      try {
        await this.command({ op: "despawn", id });
        this.showResult("ok", `despawned ${JSON.stringify(name)} (entity ${id})`);
      } catch (e) {
        this.showResult("error", describeError(e));
      }
    }
    async command(command) {
      const response = await this.connection.request(COMMAND_CHANNEL2, jsonContent(command));
      const text = contentText(response.content);
      return text ? JSON.parse(text) : null;
    }
    showResult(state, text) {
      this.el.result.dataset.state = state;
      this.el.result.textContent = text;
    }
  };
  function setText2(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  // src/telemetry.ts
  var WINDOW_MS = 3e4;
  var PLOTTED = [
    { metric: "frame_time", label: "frame time", unit: "ms", color: "#d9480f", digits: 2 },
    { metric: "fps", label: "fps", unit: "fps", color: "#1971c2", digits: 1 }
  ];
  function metricSlug(metric) {
    return metric.replace(/[^A-Za-z0-9]+/g, "-").toLowerCase();
  }
  var Telemetry = class {
    constructor(canvas, valueList) {
      this.canvas = canvas;
      this.valueList = valueList;
      this.series = /* @__PURE__ */ new Map();
      this.lastSequence = /* @__PURE__ */ new Map();
      this.skipped = /* @__PURE__ */ new Map();
      this.valueCells = /* @__PURE__ */ new Map();
      this.dirty = true;
      this.lastDraw = 0;
      const loop = (now) => {
        if (this.dirty || now - this.lastDraw > 200) {
          this.draw(now);
          this.lastDraw = now;
          this.dirty = false;
        }
        requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
      new ResizeObserver(() => this.dirty = true).observe(canvas);
    }
    /** Takes one `telemetry/<metric>` message: JSON `{"value": number|null}`. */
    receive(metric, message) {
      let value;
      try {
        value = contentJson(message.content)?.value;
      } catch {
        return;
      }
      if (message.sequence !== 0n) {
        const previous = this.lastSequence.get(metric);
        if (previous !== void 0 && message.sequence > previous + 1n) {
          this.skipped.set(metric, (this.skipped.get(metric) ?? 0n) + message.sequence - previous - 1n);
        }
        this.lastSequence.set(metric, message.sequence);
      }
      const v = typeof value === "number" && Number.isFinite(value) ? value : NaN;
      const now = performance.now();
      let samples = this.series.get(metric);
      if (!samples) this.series.set(metric, samples = []);
      samples.push({ t: now, v });
      while (samples.length > 0 && samples[0].t < now - WINDOW_MS - 1e3) samples.shift();
      this.showValue(metric, v);
      this.dirty = true;
    }
    /**
     * A new connection: sequence numbers start afresh for it. A restarted game
     * also makes the history meaningless.
     */
    reconnected(gameRestarted) {
      this.lastSequence.clear();
      if (gameRestarted) {
        this.series.clear();
        this.skipped.clear();
        this.dirty = true;
      }
    }
    showValue(metric, v) {
      let cell = this.valueCells.get(metric);
      if (!cell) {
        const item = document.createElement("div");
        item.className = "metric";
        item.dataset.metric = metric;
        const name = document.createElement("dt");
        name.textContent = metric.replace(/_/g, " ");
        cell = document.createElement("dd");
        cell.id = `${metricSlug(metric)}-value`;
        item.append(name, cell);
        const rank = (m) => {
          const i = PLOTTED.findIndex((p) => p.metric === m);
          return i >= 0 ? `0${i}` : `1${m}`;
        };
        const after = [...this.valueList.children].find((c) => rank(c.dataset.metric ?? "") > rank(metric));
        this.valueList.insertBefore(item, after ?? null);
        this.valueCells.set(metric, cell);
      }
      const digits = PLOTTED.find((p) => p.metric === metric)?.digits ?? (Number.isInteger(v) ? 0 : 2);
      cell.textContent = Number.isNaN(v) ? "—" : v.toFixed(digits);
      const skipped = this.skipped.get(metric);
      cell.title = skipped ? `${skipped} older values skipped (latest policy)` : "";
    }
    draw(now) {
      const canvas = this.canvas;
      const dpr = window.devicePixelRatio || 1;
      const width = canvas.clientWidth;
      const height = canvas.clientHeight;
      if (width === 0 || height === 0) return;
      if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
        canvas.width = Math.round(width * dpr);
        canvas.height = Math.round(height * dpr);
      }
      const ctx = canvas.getContext("2d");
      if (!ctx) return;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, height);
      const axisHeight = 18;
      const gap = 10;
      const panelHeight = (height - axisHeight - gap * (PLOTTED.length - 1)) / PLOTTED.length;
      let drawn = 0;
      PLOTTED.forEach((plot, i) => {
        const top = i * (panelHeight + gap);
        drawn += this.drawPanel(ctx, plot, { left: 48, top, width: width - 56, height: panelHeight }, now);
      });
      this.drawTimeAxis(ctx, { left: 48, top: height - axisHeight, width: width - 56 });
      canvas.dataset.samples = String(drawn);
    }
    drawPanel(ctx, plot, panel, now) {
      const titleHeight = 20;
      const box = { ...panel, top: panel.top + titleHeight, height: panel.height - titleHeight };
      const samples = (this.series.get(plot.metric) ?? []).filter((s) => s.t >= now - WINDOW_MS && !Number.isNaN(s.v));
      const x = (t) => box.left + box.width * (1 - (now - t) / WINDOW_MS);
      ctx.fillStyle = "#f8f9fb";
      ctx.fillRect(box.left, box.top, box.width, box.height);
      let max = 0;
      for (const s of samples) max = Math.max(max, s.v);
      const step = niceStep2(max > 0 ? max * 1.15 : 1, 4);
      const top = Math.max(step, Math.ceil(max * 1.15 / step) * step);
      const y = (v) => box.top + box.height * (1 - v / top);
      ctx.font = "11px system-ui, sans-serif";
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.lineWidth = 1;
      for (let v = 0; v <= top + step / 2; v += step) {
        const yy = Math.round(y(v)) + 0.5;
        ctx.strokeStyle = "#dee2e6";
        ctx.beginPath();
        ctx.moveTo(box.left, yy);
        ctx.lineTo(box.left + box.width, yy);
        ctx.stroke();
        ctx.fillStyle = "#495057";
        ctx.fillText(formatTick(v, step), box.left - 6, yy);
      }
      ctx.textAlign = "left";
      ctx.textBaseline = "alphabetic";
      ctx.fillStyle = plot.color;
      ctx.font = "600 12px system-ui, sans-serif";
      const latest = samples[samples.length - 1];
      const title = latest ? `${plot.label}: ${latest.v.toFixed(plot.digits)} ${plot.unit}` : `${plot.label} (${plot.unit}): waiting for data`;
      ctx.fillText(title, panel.left, panel.top + 13);
      if (samples.length > 0) {
        ctx.save();
        ctx.beginPath();
        ctx.rect(box.left, box.top, box.width, box.height);
        ctx.clip();
        ctx.strokeStyle = plot.color;
        ctx.lineWidth = 2;
        ctx.lineJoin = "round";
        ctx.beginPath();
        samples.forEach((s, i) => i === 0 ? ctx.moveTo(x(s.t), y(s.v)) : ctx.lineTo(x(s.t), y(s.v)));
        ctx.stroke();
        ctx.restore();
      }
      return samples.length;
    }
    drawTimeAxis(ctx, box) {
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillStyle = "#495057";
      ctx.textBaseline = "top";
      for (let s = 30; s >= 0; s -= 5) {
        const xx = box.left + box.width * (1 - s / 30);
        ctx.textAlign = s === 30 ? "left" : s === 0 ? "right" : "center";
        ctx.fillText(s === 0 ? "now" : `−${s} s`, xx, box.top + 4);
      }
    }
  };
  function niceStep2(range, count) {
    const raw = range / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const scaled = raw / power;
    return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
  }
  function formatTick(v, step) {
    const digits = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)));
    return v.toFixed(digits);
  }

  // src/main.ts
  function byId(id) {
    const el = document.getElementById(id);
    if (!el) throw new Error(`the page has no #${id}`);
    return el;
  }
  function socketUrl() {
    const override = new URLSearchParams(location.search).get("ws");
    if (override) return override;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/`;
  }
  function token() {
    return new URLSearchParams(location.hash.slice(1)).get("token") ?? void 0;
  }
  function showState(state) {
    const status = byId("status");
    const detail = byId("status-detail");
    status.dataset.state = state.state;
    document.body.dataset.state = state.state;
    switch (state.state) {
      case "connecting":
        status.textContent = state.attempt > 1 ? `connecting (attempt ${state.attempt})` : "connecting";
        detail.textContent = socketUrl();
        break;
      case "connected": {
        const w = state.welcome;
        status.textContent = `connected as client ${w.clientId}`;
        status.dataset.clientId = String(w.clientId);
        status.dataset.sessionId = w.sessionId;
        detail.textContent = `${w.hostName} ${w.hostVersion} · session ${w.sessionId} · protocol ${w.protocolVersion}` + (state.sessionChanged ? " · the game restarted" : "");
        break;
      }
      case "closed": {
        const reason = state.reason ? `: ${state.reason}` : state.code === 1006 ? ": connection lost" : "";
        status.textContent = `closed (${state.code}${reason})`;
        detail.textContent = state.retryInMs === null ? "not reconnecting" : `reconnecting in ${(state.retryInMs / 1e3).toFixed(1)} s`;
        break;
      }
    }
  }
  function note(text) {
    const log = byId("notices");
    const item = document.createElement("li");
    item.textContent = `${(/* @__PURE__ */ new Date()).toLocaleTimeString()}  ${text}`;
    log.prepend(item);
    while (log.children.length > 20) log.lastElementChild?.remove();
  }
  function main() {
    const connection = new Connection({
      url: socketUrl(),
      clientName: "editor",
      token: token(),
      // `**` so that nested metrics such as telemetry/physics/bodies arrive too.
      // On a fleet gateway the same channels arrive as fleet/<instance>/...
      patterns: ["telemetry/**", ENTITIES_CHANNEL, EVENTS_PATTERN, STATUS_CHANNEL, LOGS_CHANNEL, ...FLEET_PATTERNS]
    });
    const fleet = new Fleet({ picker: byId("fleet"), select: byId("fleet-instance") });
    const telemetry = new Telemetry(byId("telemetry-chart"), byId("telemetry-values"));
    const scene = new Scene(connection, {
      table: byId("entities"),
      count: byId("entity-total"),
      form: byId("spawn-form"),
      name: byId("spawn-name"),
      x: byId("spawn-x"),
      y: byId("spawn-y"),
      button: byId("spawn-button"),
      result: byId("spawn-result")
    });
    const echo = new Echo(connection, {
      form: byId("echo-form"),
      input: byId("echo-input"),
      log: byId("echo-log")
    });
    const devices = new Devices(connection, {
      table: byId("devices"),
      count: byId("device-total"),
      discover: byId("discover-button"),
      result: byId("devices-result"),
      adapters: byId("adapters")
    });
    const inspector = new Inspector(connection, {
      panel: byId("inspector-panel"),
      search: byId("inspector-search"),
      tree: byId("inspector-tree"),
      count: byId("inspector-total"),
      title: byId("inspector-selected"),
      components: byId("inspector-components"),
      result: byId("inspector-result")
    });
    const plugins = new PluginsPanel(connection, {
      panel: byId("plugins-panel"),
      count: byId("plugins-total"),
      file: byId("plugins-file"),
      result: byId("plugins-result"),
      pending: byId("plugins-pending"),
      list: byId("plugins-list")
    });
    connection.stateChanged.on((state) => {
      showState(state);
      if (state.state === "closed") {
        scene.clear();
        devices.clear();
        inspector.stop();
        plugins.stop();
      }
      if (state.state === "connected") void plugins.connected(state.welcome);
      if (state.state === "connected") void inspector.connected(state.welcome.clientId);
      if (state.state === "connected") telemetry.reconnected(state.sessionChanged);
    });
    connection.channelsChanged.on((channels) => {
      renderChannels(byId("channels"), byId("channel-total"), channels);
      devices.channelsChanged();
    });
    connection.notice.on(note);
    fleet.onSwitch = (scope) => {
      connection.scope = scope;
      telemetry.reconnected(true);
      scene.clear();
      note(scope ? `showing instance ${scope.slice("fleet/".length, -1)}` : "no instance to show");
    };
    fleet.onGone = (id) => {
      scene.clear();
      note(`instance ${id} is gone`);
    };
    connection.data.on(({ message, channel }) => {
      if (!channel) return;
      if (fleet.receive(channel.name, message)) return;
      const name = fleet.localName(channel.name);
      if (name === null) return;
      if (inspector.receive(name, message)) return;
      if (plugins.receive(name, message)) return;
      if (name.startsWith("telemetry/")) telemetry.receive(name.slice("telemetry/".length), message);
      else if (name === ENTITIES_CHANNEL) scene.receive(message);
      else if (name === ECHO_CHANNEL) echo.receive(message);
      else if (name.startsWith("hardware/events/")) devices.receive(name, message);
    });
    window.switchboard = {
      request: (channel, body) => jsonRequest(connection, channel, body ?? {})
    };
    connection.start();
  }
  main();
})();
