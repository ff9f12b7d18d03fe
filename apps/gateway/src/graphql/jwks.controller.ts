import { Controller, Get, Header } from '@nestjs/common';
import { SigningKeys } from '../application/signing-keys';

/** The public keys subgraphs verify access tokens with (RFC 7517). */
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeys) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.keys.jwks();
  }
}
