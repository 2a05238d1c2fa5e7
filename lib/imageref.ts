/**
 * Container image references, read the way docker reads them (the grammar and normalisation of
 * github.com/distribution/reference: ParseNormalizedNamed, TagNameOnly, FamiliarString), so that
 * `nginx`, `nginx:latest`, `library/nginx`, `docker.io/nginx` and `docker.io/library/nginx:latest`
 * are one image, and `localhost:5000/x` names a registry host with a port, not a tag.
 */
export interface ImageRef {
  /** Registry host, `docker.io` when none is written. */
  domain: string
  /** Repository path inside the registry; official images get `library/`. */
  path: string
  /** The tag as written; null when none (docker then means `latest`, unless a digest is given). */
  tag: string | null
  /** `algorithm:hex` as written after `@`, or null. */
  digest: string | null
}

const DEFAULT_DOMAIN = 'docker.io'
const LEGACY_DOMAIN = 'index.docker.io'
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::\d+)?$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/
/** What docker accepts as an image ID or an unambiguous prefix of one. */
const IMAGE_ID = /^(?:sha256:)?([a-f0-9]{6,64})$/

/** Parses a reference; null when docker would call it an invalid reference format. */
export function parseImageRef(text: string): ImageRef | null {
  let rest = text.trim()
  let digest: string | null = null
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) return null
  }
  let tag: string | null = null
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) return null
  }
  if (rest === '') return null
  const slash = rest.indexOf('/')
  const first = slash < 0 ? '' : rest.slice(0, slash)
  // The first component is a registry host when it looks like one (docker's splitDockerDomain).
  const hasDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())
  let domain = hasDomain ? first : DEFAULT_DOMAIN
  let path = hasDomain ? rest.slice(slash + 1) : rest
  if (hasDomain && !DOMAIN.test(domain)) return null
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`
  if (!path.split('/').every((c) => COMPONENT.test(c))) return null
  return { domain, path, tag, digest }
}

/** The short form docker prints (`nginx:1.27`, `bitnami/postgresql:16`, `localhost:5000/x:2`). */
export function familiarString(ref: ImageRef): string {
  let name = `${ref.domain}/${ref.path}`
  if (ref.domain === DEFAULT_DOMAIN) {
    name = ref.path
    const inLibrary = name.startsWith('library/') && name.split('/').length === 2
    if (inLibrary) name = name.slice('library/'.length)
  }
  return `${name}${ref.tag !== null ? `:${ref.tag}` : ''}${ref.digest !== null ? `@${ref.digest}` : ''}`
}

/** Docker's default: a reference with neither tag nor digest means `:latest`. */
export function withDefaultTag(ref: ImageRef): ImageRef {
  return ref.tag === null && ref.digest === null ? { ...ref, tag: 'latest' } : ref
}

/** What an image inspect (or list) says about one local image. */
export interface LocalImage {
  Id?: string
  RepoTags?: readonly string[] | null
  RepoDigests?: readonly string[] | null
}

const sameRepository = (a: ImageRef, b: ImageRef) => a.domain === b.domain && a.path === b.path

/**
 * Whether REFERENCE names one of IMAGES, by docker's rules: an image ID (or a prefix of 6+ hex
 * digits), a digest against the image's repo digests (a tag beside a digest is ignored, as
 * docker ignores it), else the name with `:latest` implied against its tags.
 */
export function referenceMatches(reference: string, images: readonly LocalImage[]): boolean {
  const id = IMAGE_ID.exec(reference.trim())?.[1]
  if (id && images.some((img) => img.Id?.replace(/^sha256:/, '').startsWith(id))) return true
  const wanted = parseImageRef(reference)
  if (!wanted) return false
  const listed = (names: readonly string[] | null | undefined) => (names ?? []).map(parseImageRef).filter((r): r is ImageRef => r !== null)
  if (wanted.digest !== null) {
    return images.some((img) => listed(img.RepoDigests).some((r) => sameRepository(r, wanted) && r.digest === wanted.digest))
  }
  const tag = withDefaultTag(wanted).tag
  return images.some((img) => listed(img.RepoTags).some((r) => sameRepository(r, wanted) && withDefaultTag(r).tag === tag))
}
