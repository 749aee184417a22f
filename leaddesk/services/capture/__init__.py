"""Trade-show capture use cases, no Qt: save a read card as a contact and lead of the current
event (scored and persona-matched as it is saved, the card kept on the contact), duplicates
caught at the door (same e-mail, same phone, similar name at a similar company) with
update-the-existing as an undoable merge, and .vcf import and export."""
