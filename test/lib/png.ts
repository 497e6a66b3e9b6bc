import { inflateSync } from 'node:zlib'

// Enough of PNG to read what rsvg-convert writes (8-bit RGB or RGBA, not interlaced): the test
// checks the picture's pixels, not only that a file was written.
export interface Image { width: number, height: number, pixel: (x: number, y: number) => [number, number, number] }

export function decodePng (png: Buffer): Image {
  let offset = 8
  let width = 0
  let height = 0
  let channels = 4
  const data: Buffer[] = []
  while (offset < png.length) {
    const length = png.readUInt32BE(offset)
    const type = png.toString('latin1', offset + 4, offset + 8)
    const body = png.subarray(offset + 8, offset + 8 + length)
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      if (body[8] !== 8 || body[12] !== 0) throw new Error('only 8-bit, non-interlaced PNG')
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0
      if (channels === 0) throw new Error(`colour type ${body[9]} not handled`)
    }
    if (type === 'IDAT') data.push(body)
    offset += 12 + length
  }
  const raw = inflateSync(Buffer.concat(data))
  const stride = width * channels
  const pixels = Buffer.alloc(height * stride)
  for (let row = 0; row < height; row++) {
    const filter = raw[row * (stride + 1)]
    const line = raw.subarray(row * (stride + 1) + 1, (row + 1) * (stride + 1))
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? pixels[row * stride + i - channels] : 0
      const up = row > 0 ? pixels[(row - 1) * stride + i] : 0
      const upLeft = row > 0 && i >= channels ? pixels[(row - 1) * stride + i - channels] : 0
      const p = left + up - upLeft
      const paeth = Math.abs(p - left) <= Math.abs(p - up) && Math.abs(p - left) <= Math.abs(p - upLeft) ? left : Math.abs(p - up) <= Math.abs(p - upLeft) ? up : upLeft
      const predictor = [0, left, up, (left + up) >> 1, paeth][filter]
      pixels[row * stride + i] = (line[i] + predictor) & 0xff
    }
  }
  return { width, height, pixel: (x, y) => [pixels[y * stride + x * channels], pixels[y * stride + x * channels + 1], pixels[y * stride + x * channels + 2]] }
}
